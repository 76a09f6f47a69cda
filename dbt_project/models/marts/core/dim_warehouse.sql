{%- set erp = ledgerbridge_source('tryton') -%}
{%- set books = ledgerbridge_source('sie') or ledgerbridge_source('fortnox') -%}
{{ config(enabled=erp or books) }}
-- One row per company and warehouse (key: company_id, warehouse_code): the ERP's warehouses
-- and the ones the books keep an inventory account for (seeds/reconciliation/
-- warehouse_inventory_accounts.csv), under one canonical code (seeds/mappings/
-- warehouse_codes.csv where the codes differ).
with

{% if erp -%}
erp_members as (
    select
        company_id,
        source_system as system,
        'erp' as member_role,
        warehouse_code as source_code,
        warehouse_name as member_name,
        source_id
    from {{ ref('int_erp__warehouses') }}
),
{%- endif %}

{% if books -%}
accounting_members as (
    -- the books know a warehouse by its inventory account
    select
        inventory_accounts.company_id,
        companies.source_system as system,
        'accounting' as member_role,
        inventory_accounts.warehouse_code as source_code,
        cast(null as {{ dbt.type_string() }}) as member_name,
        cast(null as {{ dbt.type_string() }}) as source_id
    from {{ ref('warehouse_inventory_accounts') }} as inventory_accounts
    inner join {{ ref('int_ledger__companies') }} as companies
        on companies.company_id = inventory_accounts.company_id
),
{%- endif %}

members as (
    {%- set branches = [] -%}
    {%- if erp %}{% do branches.append('select * from erp_members') %}{% endif -%}
    {%- if books %}{% do branches.append('select * from accounting_members') %}{% endif %}
    {{ branches | join('\n    union all\n    ') }}
),

{{ unified_dimension('members', 'warehouse_codes', 'warehouse_code') }}
