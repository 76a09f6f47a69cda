{{ config(enabled=ledgerbridge_source('tryton')) }}
-- The ERP's items (articles and services), one row per company and item number.
select
    company_id,
    'tryton' as source_system,
    item_number,
    item_name,
    item_type,
    list_price,
    cost_price,
    product_id as source_id
from {{ ref('stg_tryton__products') }}
