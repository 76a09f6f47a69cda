{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per booked voucher row: the general ledger, in every dimension, from each company's
-- system of record (SIE files or Fortnox; see int_ledger__companies).
with

voucher_rows as (
    -- booked rows only (SIE #TRANS, Fortnox rows not removed)
    select * from {{ ref('int_ledger__voucher_rows') }}
),

vouchers as (
    select * from {{ ref('int_ledger__vouchers') }}
),

periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

final as (
    select
        -- keys
        voucher_rows.voucher_id || '|' || cast(voucher_rows.row_number as {{ dbt.type_string() }})
            as gl_entry_id,
        voucher_rows.voucher_id,
        voucher_rows.company_id,
        voucher_rows.fiscal_year_start,
        periods.fiscal_year,
        periods.fiscal_period_number,
        periods.period_start,
        voucher_rows.voucher_series,
        voucher_rows.voucher_number,
        voucher_rows.row_number,
        -- dates
        vouchers.voucher_date,
        coalesce(voucher_rows.transaction_date, vouchers.voucher_date) as transaction_date,
        -- dimensions
        voucher_rows.account_number,
        voucher_rows.cost_centre_code,
        voucher_rows.project_code,
        -- amounts (debit positive)
        voucher_rows.amount,
        -- descriptions and lineage
        vouchers.voucher_text,
        voucher_rows.row_text,
        voucher_rows.source_system,
        vouchers.source_file_sha256
    from voucher_rows
    inner join vouchers
        on vouchers.voucher_id = voucher_rows.voucher_id
    left join periods
        on periods.company_id = voucher_rows.company_id
        and periods.fiscal_year_start = voucher_rows.fiscal_year_start
        and vouchers.voucher_date between periods.period_start and periods.period_end
)

select * from final
