{{ config(enabled=ledgerbridge_source('tryton')) }}
-- One row per Tryton product variant, with its template's name, type and prices, and the
-- VAT rate it is sold at.
with

products as (
    select * from {{ source('raw_tryton', 'products') }} where deleted_at is null
),

templates as (
    select * from {{ source('raw_tryton', 'product_templates') }} where deleted_at is null
),

-- the VAT rate a product is sold at: the (percentage) customer tax of its accounting
-- category, as Tryton puts it on an invoice line
category_taxes as (
    select company_id, id as category_id, {{ unnest_json_integers('customer_taxes') }} as tax_id
    from {{ source('raw_tryton', 'product_categories') }}
    where deleted_at is null
),

sales_vat as (
    select
        category_taxes.company_id,
        category_taxes.category_id,
        max(taxes.rate) * 100 as vat_percent
    from category_taxes
    inner join {{ source('raw_tryton', 'taxes') }} as taxes
        on taxes.company_id = category_taxes.company_id
        and taxes.id = category_taxes.tax_id
        and taxes.deleted_at is null
        and taxes.type = 'percentage'
    group by category_taxes.company_id, category_taxes.category_id
),

final as (
    select
        products.company_id,
        products.id as product_id,
        coalesce(products.code, templates.code) as item_number,
        templates.name as item_name,
        templates.type as item_type,
        templates.list_price,
        products.cost_price,
        cast(sales_vat.vat_percent as decimal(5, 2)) as sales_vat_percent
    from products
    left join templates
        on templates.company_id = products.company_id and templates.id = products.template
    left join sales_vat
        on sales_vat.company_id = templates.company_id
        and sales_vat.category_id = templates.account_category
)

select * from final
