{{ config(enabled=ledgerbridge_source('budget') or ledgerbridge_source('erp_files') or ledgerbridge_source('sie')) }}
{%- set books = ledgerbridge_source('sie') or ledgerbridge_source('fortnox') %}
-- One row per company and month that has a budget or is in the books: its fiscal year and
-- period number. Months of the books' fiscal years (int_fiscal_periods_generated, broken years
-- included) are taken from there; a budget month outside them (next year's budget, drawn up
-- before the books open the year) continues the company's nearest fiscal year in steps of
-- twelve months, and a company without books has calendar years.
with

budget_months as (
    select distinct company_id, period_start from {{ ref('int_budget__entries') }}
),

{% if books -%}
book_periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

company_years as (
    select
        company_id,
        min(fiscal_year_start) as first_year_start,
        max(fiscal_year_start) as last_year_start,
        max(fiscal_year_end) as last_year_end
    from {{ ref('int_ledger__fiscal_years') }}
    group by company_id
),
{%- endif %}

outside_books as (
    -- budget months no fiscal year of the books holds, with the year start to count from
    select
        budget_months.company_id,
        budget_months.period_start,
        {% if books -%}
        case
            when company_years.company_id is null
                then cast({{ dbt.date_trunc('year', 'budget_months.period_start') }} as date)
            when budget_months.period_start > company_years.last_year_end
                then company_years.last_year_start
            else company_years.first_year_start
        end as anchor_start
        {%- else -%}
        cast({{ dbt.date_trunc('year', 'budget_months.period_start') }} as date) as anchor_start
        {%- endif %}
    from budget_months
    {% if books -%}
    left join company_years
        on company_years.company_id = budget_months.company_id
    left join book_periods
        on book_periods.company_id = budget_months.company_id
        and book_periods.period_start = budget_months.period_start
    where book_periods.period_start is null
    {%- endif %}
),

offsets as (
    select
        company_id,
        period_start,
        anchor_start,
        {{ dbt.datediff('anchor_start', 'period_start', 'month') }} as months_from_anchor
    from outside_books
),

year_offsets as (
    select
        *,
        cast(floor(months_from_anchor / 12.0) as integer) as years_from_anchor
    from offsets
),

inferred as (
    select
        company_id,
        period_start,
        cast({{ dbt.dateadd('month', '12 * years_from_anchor', 'anchor_start') }} as date)
            as fiscal_year_start,
        cast({{ dbt.dateadd('day', '-1', dbt.dateadd('month', '12 * years_from_anchor + 12', 'anchor_start')) }} as date)
            as fiscal_year_end,
        months_from_anchor - 12 * years_from_anchor + 1 as fiscal_period_number
    from year_offsets
),

unioned as (
    {% if books -%}
    select
        company_id,
        period_start,
        period_end,
        fiscal_year_start,
        fiscal_year_end,
        fiscal_year,
        fiscal_period_number,
        false as is_outside_books
    from book_periods
    union all
    {% endif -%}
    select
        company_id,
        period_start,
        cast({{ dbt.last_day('period_start', 'month') }} as date) as period_end,
        fiscal_year_start,
        fiscal_year_end,
        {{ fiscal_year_label('fiscal_year_start', 'fiscal_year_end') }} as fiscal_year,
        fiscal_period_number,
        true as is_outside_books
    from inferred
),

final as (
    select
        -- keys
        company_id,
        period_start,
        -- dates
        period_end,
        fiscal_year_start,
        fiscal_year_end,
        -- labels
        fiscal_year,
        cast(fiscal_period_number as integer) as fiscal_period_number,
        is_outside_books
    from unioned
)

select * from final
