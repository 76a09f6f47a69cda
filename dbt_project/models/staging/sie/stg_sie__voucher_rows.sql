{{ config(enabled=ledgerbridge_source('sie')) }}
-- One row per voucher row, of every kind (TRANS, RTRANS, BTRANS).
with

source as (
    select * from {{ source('raw_sie', 'voucher_rows') }}
),

current_vouchers as (
    -- rows belong to the current export of their year through their voucher
    select voucher_id from {{ ref('stg_sie__vouchers') }}
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
    select * from renamed
    where voucher_id in (select voucher_id from current_vouchers)
)

select * from final
