{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per Fortnox article (artikel).
with

source as (
    select * from {{ source('raw_fortnox', 'articles') }}
),

final as (
    select
        -- keys
        company_id,
        article_number,
        -- attributes
        description as article_name,
        unit,
        vat as vat_percent,
        ean,
        coalesce(webshop_article, false) as is_webshop_article,
        -- prices have four decimals, as Fortnox keeps them; stock value is money
        sales_price,
        purchase_price,
        quantity_in_stock,
        {{ money('stock_value') }} as stock_value,
        fetched_at
    from source
)

select * from final
