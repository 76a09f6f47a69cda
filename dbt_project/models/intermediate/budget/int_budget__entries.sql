{%- set csv = ledgerbridge_source('budget') -%}
{%- set erp = ledgerbridge_source('erp_files') -%}
{%- set sie = ledgerbridge_source('sie') -%}
{{ config(enabled=csv or erp or sie) }}
-- One row per company, month, account, cost centre and project: the budget, debit positive
-- like the ledger. Each company and month takes its budget from one source, the first that
-- has one: the CSV files a controller uploads, then the ERP export's budget, then the SIE
-- files' #PBUDGET. Two sources of one month are two versions of the same plan, never parts
-- of it to be added up.
with

{% if csv -%}
csv_entries as (
    select
        company_id, period_start, account_number, cost_centre_code, project_code, amount,
        'csv' as budget_source, 1 as source_rank, budget_version
    from {{ ref('stg_budget__csv_entries') }}
),
{%- endif %}

{% if erp -%}
erp_entries as (
    select
        company_id, period_start, account_number, cost_centre_code, project_code, amount,
        'erp_files' as budget_source, 2 as source_rank, budget_version
    from {{ ref('stg_budget__erp_entries') }}
),
{%- endif %}

{% if sie -%}
sie_entries as (
    select
        company_id, period_start, account_number, cost_centre_code, project_code, amount,
        'sie' as budget_source, 3 as source_rank, budget_version
    from {{ ref('stg_budget__sie_period_budgets') }}
),
{%- endif %}

unioned as (
    {%- set parts = [] -%}
    {%- if csv %}{% do parts.append('select * from csv_entries') %}{% endif -%}
    {%- if erp %}{% do parts.append('select * from erp_entries') %}{% endif -%}
    {%- if sie %}{% do parts.append('select * from sie_entries') %}{% endif %}
    {{ parts | join('\n    union all\n    ') }}
),

chosen_sources as (
    -- per company and month, the first source that has a budget for it
    select
        company_id,
        period_start,
        min(source_rank) as source_rank
    from unioned
    group by company_id, period_start
),

final as (
    select
        -- keys
        unioned.company_id,
        unioned.period_start,
        -- dimensions
        unioned.account_number,
        unioned.cost_centre_code,
        unioned.project_code,
        -- amounts (debit positive)
        {{ money('unioned.amount') }} as amount,
        -- lineage
        unioned.budget_source,
        unioned.budget_version
    from unioned
    inner join chosen_sources
        on chosen_sources.company_id = unioned.company_id
        and chosen_sources.period_start = unioned.period_start
        and chosen_sources.source_rank = unioned.source_rank
)

select * from final
