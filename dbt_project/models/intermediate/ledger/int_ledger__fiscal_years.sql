{%- set sie = ledgerbridge_source('sie') -%}
{%- set fortnox = ledgerbridge_source('fortnox') -%}
{{ config(enabled=sie or fortnox) }}
-- One row per company and fiscal year, as the company's system of record states it
-- (int_ledger__companies): Fortnox's financial years or the SIE files' #RAR.
with

companies as (
    select * from {{ ref('int_ledger__companies') }}
),

{% if fortnox -%}
fortnox_years as (
    select
        company_id,
        fiscal_year_start,
        fiscal_year_end,
        fiscal_year,
        'fortnox' as source_system
    from {{ ref('stg_fortnox__financial_years') }}
),
{%- endif %}

{% if sie -%}
sie_years as (
    select
        company_id,
        fiscal_year_start,
        fiscal_year_end,
        fiscal_year,
        'sie' as source_system
    from {{ ref('stg_sie__fiscal_years') }}
),
{%- endif %}

unioned as (
    {% if fortnox %}select * from fortnox_years{% endif %}
    {% if fortnox and sie %}union all{% endif %}
    {% if sie %}select * from sie_years{% endif %}
),

final as (
    select
        -- keys
        unioned.company_id,
        unioned.fiscal_year_start,
        -- dates
        unioned.fiscal_year_end,
        -- labels and lineage
        unioned.fiscal_year,
        unioned.source_system
    from unioned
    -- a company's rows from the other system are left out
    inner join companies
        on companies.company_id = unioned.company_id
        and companies.source_system = unioned.source_system
)

select * from final
