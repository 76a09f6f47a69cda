{{ config(enabled=ledgerbridge_source('tryton')) }}
-- One row per Tryton sale (sales order).
with

sales as (
    select * from {{ source('raw_tryton', 'sales') }} where deleted_at is null
),

final as (
    select
        company_id,
        id as sale_id,
        number as sale_number,
        reference,
        party as party_id,
        sale_date,
        state,
        warehouse as warehouse_id,
        {{ money('untaxed_amount') }} as net_amount,
        {{ money('tax_amount') }} as vat_amount,
        {{ money('total_amount') }} as total_amount
    from sales
)

select * from final
