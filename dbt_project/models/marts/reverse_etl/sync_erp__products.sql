{{ config(enabled=ledgerbridge_source('tryton') and ledgerbridge_source('fortnox')) }}
-- One row per ERP product (Tryton) whose name or sales price differs from the company's
-- Fortnox article of the same number in a field the accounting system owns
-- (int_reverse_etl__field_owners: by default none; [reverse_etl.field_owners] moves a field
-- there): the article's values, written to the product's template. Written fields carry the
-- register's values, null where left as the ERP has them; the before_ columns are the ERP's.
-- Only companies whose books are in Fortnox.
with

ownership as (
    select
        count(case when field = 'name' then 1 end) > 0 as owns_name,
        count(case when field = 'sales_price' then 1 end) > 0 as owns_sales_price
    from {{ ref('int_reverse_etl__field_owners') }}
    where object = 'article' and owner = 'accounting'
),

books_in_fortnox as (
    select company_id from {{ ref('int_ledger__companies') }}
    where source_system = 'fortnox'
),

compared as (
    select
        products.*,
        articles.article_name,
        articles.sales_price,
        ownership.owns_name
        and {{ text_key('articles.article_name') }}
        is distinct from {{ text_key('products.item_name') }} as name_differs,
        ownership.owns_sales_price
        and articles.sales_price is distinct from products.list_price as sales_price_differs
    from {{ ref('stg_tryton__products') }} as products
    inner join books_in_fortnox on books_in_fortnox.company_id = products.company_id
    inner join {{ ref('stg_fortnox__articles') }} as articles
        on articles.company_id = products.company_id
        and articles.article_number = products.item_number
    cross join ownership
),

final as (
    select
        -- keys
        company_id,
        item_number,
        template_id as erp_template_id,
        -- the values written (null: left as the ERP has it)
        case when name_differs then article_name end as item_name,
        cast(case when sales_price_differs then sales_price end as decimal(18, 4)) as list_price,
        -- the ERP's values now
        item_name as before_name,
        cast(list_price as decimal(18, 4)) as before_list_price
    from compared
    where name_differs or sales_price_differs
)

select * from final
