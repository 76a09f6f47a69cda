{{ config(enabled=ledgerbridge_source('tryton')) }}
-- The ERP's sales orders with customer and warehouse by their numbers, one row per order.
with

sales as (
    select * from {{ ref('stg_tryton__sales') }}
),

final as (
    select
        sales.company_id,
        'tryton' as source_system,
        sales.sale_number as order_number,
        sales.reference as customer_reference,
        sales.sale_date as order_date,
        sales.state,
        parties.party_code as customer_number,
        warehouses.location_code as warehouse_code,
        sales.net_amount,
        sales.vat_amount,
        sales.total_amount,
        sales.sale_id as source_id
    from sales
    left join {{ ref('stg_tryton__parties') }} as parties
        on parties.company_id = sales.company_id and parties.party_id = sales.party_id
    left join {{ ref('stg_tryton__locations') }} as warehouses
        on warehouses.company_id = sales.company_id
        and warehouses.location_id = sales.warehouse_id
)

select * from final
