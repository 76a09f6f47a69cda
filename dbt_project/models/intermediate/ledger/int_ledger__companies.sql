{%- set sie = ledgerbridge_source('sie') -%}
{%- set fortnox = ledgerbridge_source('fortnox') -%}
{{ config(enabled=sie or fortnox) }}
-- One row per company with books: the accounting system its ledger is read from. Where a
-- company has Fortnox data, Fortnox is its system of record (the API is the live books; SIE
-- files are exports of them), so its SIE files are left out; a company with SIE files only
-- is read from them. Every int_ledger__ model keeps a company's rows of this system only.
with

{% if fortnox -%}
fortnox_companies as (
    select distinct company_id from {{ ref('stg_fortnox__financial_years') }}
),
{%- endif %}

{% if sie -%}
sie_companies as (
    select distinct company_id from {{ ref('stg_sie__fiscal_years') }}
),
{%- endif %}

final as (
    {% if fortnox -%}
    select
        company_id,
        'fortnox' as source_system
    from fortnox_companies
    {%- endif %}
    {% if fortnox and sie %}
    union all
    {% endif %}
    {% if sie -%}
    select
        company_id,
        'sie' as source_system
    from sie_companies
    {%- if fortnox %}
    where not exists (
        select 1 from fortnox_companies
        where fortnox_companies.company_id = sie_companies.company_id
    )
    {%- endif %}
    {%- endif %}
)

select * from final
