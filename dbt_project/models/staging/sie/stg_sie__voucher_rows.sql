{{ config(enabled=ledgerbridge_source('sie')) }}
-- One row per voucher row, of every kind (TRANS, RTRANS, BTRANS).
with

source as (
    select * from {{ source('raw_sie', 'voucher_rows') }}
),

current_years as (
    -- A year's vouchers and rows land together (a newer export replaces both, decision 0004),
    -- so the rows are current where the year's vouchers come from the current export.
    -- (Matching each row's voucher_id to the vouchers' built the key string for ten million
    -- rows on every read of this view; six data tests and the ledger read it.)
    select distinct company_id, fiscal_year_start from {{ ref('stg_sie__vouchers') }}
),

renamed as (
    select
        -- keys
        {{ sie_voucher_id() }} as voucher_id,
        company_id,
        fiscal_year_start,
        voucher_series,
        voucher_number,
        voucher_occurrence,
        row_number,
        row_kind,
        -- dates
        transaction_date,
        -- dimensions
        account_number,
        cost_centre as cost_centre_code,
        project as project_code,
        objects,
        -- amounts
        {{ money('amount') }} as amount,
        quantity,
        -- descriptions
        row_text
    from source
),

final as (
    select renamed.*
    from renamed
    inner join current_years
        on current_years.company_id = renamed.company_id
        and current_years.fiscal_year_start = renamed.fiscal_year_start
)

select * from final
