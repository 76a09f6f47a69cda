{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per voucher row; removed (struck) rows are kept and marked.
with

source as (
    select * from {{ source('raw_fortnox', 'voucher_rows') }}
),

vouchers as (
    select voucher_id, company_id, year_id, fiscal_year_start, voucher_series, voucher_number
    from {{ ref('stg_fortnox__vouchers') }}
),

final as (
    select
        -- keys
        vouchers.voucher_id,
        source.company_id,
        vouchers.fiscal_year_start,
        source.voucher_series,
        vouchers.voucher_number,
        source.row_number,
        -- dimensions
        cast(source.account_number as {{ dbt.type_string() }}) as account_number,
        source.cost_center as cost_centre_code,
        source.project as project_code,
        -- amounts (debit positive)
        {{ money('source.amount') }} as amount,
        source.quantity,
        -- descriptions
        source.description as row_text,
        coalesce(source.removed, false) as is_removed
    from source
    inner join vouchers
        on vouchers.company_id = source.company_id
        and vouchers.year_id = source.year_id
        and vouchers.voucher_series = source.voucher_series
        and cast(source.voucher_number as {{ dbt.type_string() }}) = vouchers.voucher_number
)

select * from final
