{%- set books = ledgerbridge_source('sie') or ledgerbridge_source('fortnox') -%}
{%- set budgets = ledgerbridge_source('budget') or ledgerbridge_source('erp_files') or ledgerbridge_source('sie') -%}
{%- set erp = ledgerbridge_source('tryton') -%}
{{ config(enabled=books) }}
-- One row per company, project and month with anything on the project: what the ledger
-- booked on it (fct_gl_entries: revenue on the 3xxx accounts, cost on 4xxx–7xxx, debit
-- positive, so revenue is negative and a profitable month's margin too), its budget
-- (int_budget__entries, same signs), and the work the ERP sold and invoiced on it
-- (int_projects__erp_work: hours and net amounts as the documents state them). Uninvoiced
-- work is what the ERP's confirmed sales orders hold on the project and its posted customer
-- invoices do not yet, added up from the project's first month to the month's end.
with

gl_entries as (
    select * from {{ ref('fct_gl_entries') }} where project_code is not null
),

periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

ledger as (
    select
        company_id,
        project_code,
        period_start,
        sum(case when left(account_number, 1) = '3' then amount else 0 end) as revenue_amount,
        sum(case when left(account_number, 1) in ('4', '5', '6', '7') then amount else 0 end)
            as cost_amount,
        cast(0 as decimal(18, 2)) as budget_revenue_amount,
        cast(0 as decimal(18, 2)) as budget_cost_amount,
        cast(0 as decimal(18, 2)) as hours_ordered,
        cast(0 as decimal(18, 2)) as hours_invoiced,
        cast(0 as decimal(18, 2)) as ordered_amount,
        cast(0 as decimal(18, 2)) as invoiced_amount,
        1 as from_ledger,
        0 as from_budget,
        0 as from_erp
    from gl_entries
    group by company_id, project_code, period_start
),

{% if budgets -%}
budget as (
    select
        company_id,
        project_code,
        period_start,
        cast(0 as decimal(18, 2)) as revenue_amount,
        cast(0 as decimal(18, 2)) as cost_amount,
        sum(case when left(account_number, 1) = '3' then amount else 0 end)
            as budget_revenue_amount,
        sum(case when left(account_number, 1) in ('4', '5', '6', '7') then amount else 0 end)
            as budget_cost_amount,
        cast(0 as decimal(18, 2)) as hours_ordered,
        cast(0 as decimal(18, 2)) as hours_invoiced,
        cast(0 as decimal(18, 2)) as ordered_amount,
        cast(0 as decimal(18, 2)) as invoiced_amount,
        0 as from_ledger,
        1 as from_budget,
        0 as from_erp
    from {{ ref('int_budget__entries') }}
    where project_code is not null
    group by company_id, project_code, period_start
),
{%- endif %}

{% if erp -%}
erp_work as (
    select
        company_id,
        project_code,
        period_start,
        cast(0 as decimal(18, 2)) as revenue_amount,
        cast(0 as decimal(18, 2)) as cost_amount,
        cast(0 as decimal(18, 2)) as budget_revenue_amount,
        cast(0 as decimal(18, 2)) as budget_cost_amount,
        hours_ordered,
        hours_invoiced,
        ordered_amount,
        invoiced_amount,
        0 as from_ledger,
        0 as from_budget,
        1 as from_erp
    from {{ ref('int_projects__erp_work') }}
),
{%- endif %}

unioned as (
    select * from ledger
    {% if budgets %}union all select * from budget{% endif %}
    {% if erp %}union all select * from erp_work{% endif %}
),

per_month as (
    select
        company_id,
        project_code,
        period_start,
        sum(revenue_amount) as revenue_amount,
        sum(cost_amount) as cost_amount,
        sum(budget_revenue_amount) as budget_revenue_amount,
        sum(budget_cost_amount) as budget_cost_amount,
        sum(hours_ordered) as hours_ordered,
        sum(hours_invoiced) as hours_invoiced,
        sum(ordered_amount) as ordered_amount,
        sum(invoiced_amount) as invoiced_amount,
        max(from_ledger) = 1 as has_actual,
        max(from_budget) = 1 as has_budget,
        max(from_erp) = 1 as has_erp_work
    from unioned
    group by company_id, project_code, period_start
),

to_date as (
    select
        *,
        sum(hours_ordered - hours_invoiced) over (
            partition by company_id, project_code
            order by period_start
            rows between unbounded preceding and current row
        ) as uninvoiced_hours_to_date,
        sum(ordered_amount - invoiced_amount) over (
            partition by company_id, project_code
            order by period_start
            rows between unbounded preceding and current row
        ) as uninvoiced_amount_to_date
    from per_month
),

final as (
    select
        -- keys
        to_date.company_id,
        to_date.project_code,
        to_date.period_start,
        -- dates
        periods.period_end,
        periods.fiscal_year_start,
        -- dimensions
        periods.fiscal_year,
        periods.fiscal_period_number,
        to_date.has_actual,
        to_date.has_budget,
        to_date.has_erp_work,
        -- ledger amounts (debit positive: revenue negative)
        {{ money('to_date.revenue_amount') }} as revenue_amount,
        {{ money('to_date.cost_amount') }} as cost_amount,
        {{ money('to_date.revenue_amount + to_date.cost_amount') }} as margin_amount,
        {{ money('to_date.budget_revenue_amount') }} as budget_revenue_amount,
        {{ money('to_date.budget_cost_amount') }} as budget_cost_amount,
        {{ money('to_date.budget_revenue_amount + to_date.budget_cost_amount') }}
            as budget_margin_amount,
        {{ money('(to_date.revenue_amount + to_date.cost_amount) - (to_date.budget_revenue_amount + to_date.budget_cost_amount)') }}
            as budget_variance_amount,
        -- the ERP's work on the project (hours; net amounts as its documents state them)
        cast(to_date.hours_ordered as decimal(18, 2)) as hours_ordered,
        cast(to_date.hours_invoiced as decimal(18, 2)) as hours_invoiced,
        {{ money('to_date.ordered_amount') }} as ordered_amount,
        {{ money('to_date.invoiced_amount') }} as invoiced_amount,
        cast(to_date.uninvoiced_hours_to_date as decimal(18, 2)) as uninvoiced_hours_to_date,
        {{ money('to_date.uninvoiced_amount_to_date') }} as uninvoiced_amount_to_date
    from to_date
    left join periods
        on periods.company_id = to_date.company_id
        and periods.period_start = to_date.period_start
)

select * from final
