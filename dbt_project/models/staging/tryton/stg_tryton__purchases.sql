{{ config(enabled=ledgerbridge_source('tryton')) }}
-- One row per Tryton purchase (purchase order).
with

purchases as (
    select * from {{ source('raw_tryton', 'purchases') }} where deleted_at is null
),

final as (
    select
        company_id,
        id as purchase_id,
        number as purchase_number,
        reference,
        party as party_id,
        purchase_date,
        state,
        warehouse as warehouse_id,
        {{ money('total_amount') }} as total_amount
    from purchases
)

select * from final
