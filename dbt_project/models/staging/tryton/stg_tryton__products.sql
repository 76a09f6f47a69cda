{{ config(enabled=ledgerbridge_source('tryton')) }}
-- One row per Tryton product variant, with its template's name, type and prices.
with

products as (
    select * from {{ source('raw_tryton', 'products') }} where deleted_at is null
),

templates as (
    select * from {{ source('raw_tryton', 'product_templates') }} where deleted_at is null
),

final as (
    select
        products.company_id,
        products.id as product_id,
        coalesce(products.code, templates.code) as item_number,
        templates.name as item_name,
        templates.type as item_type,
        templates.list_price,
        products.cost_price
    from products
    left join templates
        on templates.company_id = products.company_id and templates.id = products.template
)

select * from final
