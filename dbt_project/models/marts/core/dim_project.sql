{%- set books = ledgerbridge_source('sie') or ledgerbridge_source('fortnox') -%}
{%- set fortnox = ledgerbridge_source('fortnox') -%}
{%- set erp = ledgerbridge_source('tryton') -%}
{{ config(enabled=books or erp) }}
-- One row per company and project (SIE dimension 6, Fortnox Project) (key: company_id,
-- project_code): the members the ERP, the accounting system's register and the booked ledger
-- rows know, under one canonical code (seeds/mappings/project_codes.csv where the systems'
-- codes differ).
with

{% if erp -%}
erp_members as (
    -- Tryton's analytic accounts under root 6 (projects); no staging model reads them on
    -- their own yet
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
    where roots.code = '6'
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
        project_code as source_code,
        project_name as member_name,
        cast(null as {{ dbt.type_string() }}) as source_id
    from {{ ref('stg_fortnox__projects') }}
),
{%- endif %}

{% if books -%}
ledger_members as (
    select distinct
        company_id,
        source_system as system,
        'ledger' as member_role,
        project_code as source_code,
        cast(null as {{ dbt.type_string() }}) as member_name,
        cast(null as {{ dbt.type_string() }}) as source_id
    from {{ ref('int_ledger__voucher_rows') }}
    where project_code is not null
),
{%- endif %}

members as (
    {%- set branches = [] -%}
    {%- if erp %}{% do branches.append('select * from erp_members') %}{% endif -%}
    {%- if fortnox %}{% do branches.append('select * from accounting_members') %}{% endif -%}
    {%- if books %}{% do branches.append('select * from ledger_members') %}{% endif %}
    {{ branches | join('\n    union all\n    ') }}
),

{{ unified_dimension('members', 'project_codes', 'project_code') }}
