{%- set books = ledgerbridge_source('sie') or ledgerbridge_source('fortnox') -%}
{%- set fortnox = ledgerbridge_source('fortnox') -%}
{%- set erp = ledgerbridge_source('tryton') -%}
{{ config(enabled=books or erp) }}
-- One row per company and cost centre (resultatenhet, SIE dimension 1, Fortnox CostCenter)
-- (key: company_id, cost_centre_code): the members the ERP, the accounting system's register
-- and the booked ledger rows know, under one canonical code
-- (seeds/mappings/cost_centre_codes.csv where the systems' codes differ).
with

{% if erp -%}
erp_members as (
    -- Tryton's analytic accounts under root 1 (resultatenheter); no staging model reads
    -- them on their own yet
    select
        accounts.company_id,
        'tryton' as system,
        'erp' as member_role,
        accounts.code as source_code,
        accounts.name as member_name,
        accounts.id as source_id
    from {{ source('raw_tryton', 'analytic_accounts') }} as accounts
    inner join {{ source('raw_tryton', 'analytic_accounts') }} as roots
        on roots.company_id = accounts.company_id
        and roots.id = accounts.root
    where roots.code = '1'
        and accounts.type <> 'root'
        and accounts.deleted_at is null
),
{%- endif %}

{% if fortnox -%}
accounting_members as (
    select
        company_id,
        'fortnox' as system,
        'accounting' as member_role,
        cost_centre_code as source_code,
        cost_centre_name as member_name,
        cast(null as {{ dbt.type_string() }}) as source_id
    from {{ ref('stg_fortnox__cost_centres') }}
),
{%- endif %}

{% if books -%}
ledger_members as (
    select distinct
        company_id,
        source_system as system,
        'ledger' as member_role,
        cost_centre_code as source_code,
        cast(null as {{ dbt.type_string() }}) as member_name,
        cast(null as {{ dbt.type_string() }}) as source_id
    from {{ ref('int_ledger__voucher_rows') }}
    where cost_centre_code is not null
),
{%- endif %}

members as (
    {%- set branches = [] -%}
    {%- if erp %}{% do branches.append('select * from erp_members') %}{% endif -%}
    {%- if fortnox %}{% do branches.append('select * from accounting_members') %}{% endif -%}
    {%- if books %}{% do branches.append('select * from ledger_members') %}{% endif %}
    {{ branches | join('\n    union all\n    ') }}
),

{{ unified_dimension('members', 'cost_centre_codes', 'cost_centre_code') }}
