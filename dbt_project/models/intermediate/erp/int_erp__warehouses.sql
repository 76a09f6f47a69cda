{{ config(enabled=ledgerbridge_source('tryton')) }}
-- The ERP's warehouses, one row per company and warehouse code.
select
    company_id,
    'tryton' as source_system,
    location_code as warehouse_code,
    location_name as warehouse_name,
    location_id as source_id
from {{ ref('stg_tryton__locations') }}
where location_type = 'warehouse'
