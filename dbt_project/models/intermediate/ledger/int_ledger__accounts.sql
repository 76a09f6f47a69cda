{%- set sie = ledgerbridge_source('sie') -%}
{%- set fortnox = ledgerbridge_source('fortnox') -%}
{{ config(enabled=sie or fortnox) }}
-- One row per company, fiscal year and account of the chart, as the company's system of
-- record names it (int_ledger__companies): Fortnox's accounts or the SIE files' #KONTO.
with

companies as (
    select * from {{ ref('int_ledger__companies') }}
),

{% if fortnox -%}
fortnox_accounts as (
    select
        company_id,
        fiscal_year_start,
        account_number,
        account_name,
        'fortnox' as source_system
    from {{ ref('stg_fortnox__accounts') }}
),
{%- endif %}

{% if sie -%}
sie_accounts as (
    select
        company_id,
        fiscal_year_start,
        account_number,
        account_name,
        'sie' as source_system
    from {{ ref('stg_sie__accounts') }}
),
{%- endif %}

unioned as (
    {% if fortnox %}select * from fortnox_accounts{% endif %}
    {% if fortnox and sie %}union all{% endif %}
    {% if sie %}select * from sie_accounts{% endif %}
),

final as (
    select
        -- keys
        unioned.company_id,
        unioned.fiscal_year_start,
        unioned.account_number,
        -- attributes and lineage
        unioned.account_name,
        unioned.source_system
    from unioned
    -- a company's rows from the other system are left out
    inner join companies
        on companies.company_id = unioned.company_id
        and companies.source_system = unioned.source_system
)

select * from final
