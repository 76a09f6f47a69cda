{%- set fortnox = ledgerbridge_source('fortnox') -%}
{%- set erp = ledgerbridge_source('tryton') -%}
{{ config(enabled=fortnox or erp) }}
-- One row per company and item (key: company_id, item_code): the members the ERP and the
-- accounting system's register know, under one canonical code (seeds/mappings/item_codes.csv
-- where the systems' codes differ).
with

{% if erp -%}
erp_members as (
    select
        company_id,
        source_system as system,
        'erp' as member_role,
        item_number as source_code,
        item_name as member_name,
        source_id
    from {{ ref('int_erp__items') }}
),
{%- endif %}

{% if fortnox -%}
accounting_members as (
    -- Fortnox articles
    select
        company_id,
        'fortnox' as system,
        'accounting' as member_role,
        article_number as source_code,
        article_name as member_name,
        cast(null as {{ dbt.type_string() }}) as source_id
    from {{ ref('stg_fortnox__articles') }}
),
{%- endif %}

members as (
    {%- set branches = [] -%}
    {%- if erp %}{% do branches.append('select * from erp_members') %}{% endif -%}
    {%- if fortnox %}{% do branches.append('select * from accounting_members') %}{% endif %}
    {{ branches | join('\n    union all\n    ') }}
),

{{ unified_dimension('members', 'item_codes', 'item_code') }}
