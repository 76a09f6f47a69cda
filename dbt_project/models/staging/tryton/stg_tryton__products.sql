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

-- the VAT rates a product is sold and bought at: the (percentage) customer and supplier
-- taxes of its accounting category, as Tryton puts them on invoice lines
category_taxes as (
    select
        company_id,
        id as category_id,
        'sales' as side,
        {{ unnest_json_integers('customer_taxes') }} as tax_id
    from {{ source('raw_tryton', 'product_categories') }}
    where deleted_at is null
    union all
    select
        company_id,
        id as category_id,
        'purchase' as side,
        {{ unnest_json_integers('supplier_taxes') }} as tax_id
    from {{ source('raw_tryton', 'product_categories') }}
    where deleted_at is null
),

category_vat as (
    select
        category_taxes.company_id,
        category_taxes.category_id,
        max(case when category_taxes.side = 'sales' then taxes.rate end) * 100
            as sales_vat_percent,
        max(case when category_taxes.side = 'purchase' then taxes.rate end) * 100
            as purchase_vat_percent
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
        products.template as template_id,
        coalesce(products.code, templates.code) as item_number,
        templates.name as item_name,
        templates.type as item_type,
        templates.list_price,
        products.cost_price,
        cast(category_vat.sales_vat_percent as decimal(5, 2)) as sales_vat_percent,
        cast(category_vat.purchase_vat_percent as decimal(5, 2)) as purchase_vat_percent
    from products
    left join templates
        on templates.company_id = products.company_id and templates.id = products.template
    left join category_vat
        on category_vat.company_id = templates.company_id
        and category_vat.category_id = templates.account_category
)

select * from final
