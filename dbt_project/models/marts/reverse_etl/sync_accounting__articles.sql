{{ config(enabled=ledgerbridge_source('tryton') and ledgerbridge_source('fortnox')) }}
-- One row per article to write to the company's Fortnox article register from the ERP's
-- products: one the ERP sells and the register lacks (operation create: its name, type,
-- sales price and the VAT rate it is sold at, which Fortnox puts on invoice rows), or one
-- the register holds with another name or sales price where the ERP owns them (operation
-- update; int_reverse_etl__field_owners). Written fields carry the ERP's values, null where
-- left as the register has them; the before_ columns are the register's values now. An
-- invoice naming an article Fortnox lacks is refused, so the article goes first. Only
-- companies whose books are in Fortnox.
with

ownership as (
    select
        count(case when field = 'name' then 1 end) > 0 as owns_name,
        count(case when field = 'sales_price' then 1 end) > 0 as owns_sales_price
    from {{ ref('int_reverse_etl__field_owners') }}
    where object = 'article' and owner = 'erp'
),

books_in_fortnox as (
    select company_id from {{ ref('int_ledger__companies') }}
    where source_system = 'fortnox'
),

products as (
    select products.*
    from {{ ref('stg_tryton__products') }} as products
    inner join books_in_fortnox on books_in_fortnox.company_id = products.company_id
    where products.item_number is not null
),

register as (
    select * from {{ ref('stg_fortnox__articles') }}
),

compared as (
    select
        products.*,
        register.article_number is null as is_new,
        register.article_name as before_name,
        register.sales_price as before_sales_price,
        ownership.owns_name
        and {{ text_key('products.item_name') }}
        is distinct from {{ text_key('register.article_name') }} as name_differs,
        ownership.owns_sales_price
        and products.list_price is distinct from register.sales_price as sales_price_differs
    from products
    cross join ownership
    left join register
        on register.company_id = products.company_id
        and register.article_number = products.item_number
),

final as (
    select
        -- keys
        company_id,
        item_number as article_number,
        -- what to do
        case when is_new then 'create' else 'update' end as operation,
        -- the values written (null: left as the register has it)
        case when is_new or name_differs then item_name end as article_name,
        cast(case when is_new or sales_price_differs then list_price end as decimal(18, 4))
            as sales_price,
        case when is_new then case item_type when 'service' then 'SERVICE' else 'STOCK' end end
            as article_type,
        case when is_new then sales_vat_percent end as vat_percent,
        -- the register's values now (the preview's "before")
        before_name,
        cast(before_sales_price as decimal(18, 4)) as before_sales_price
    from compared
    where is_new or name_differs or sales_price_differs
)

select * from final
