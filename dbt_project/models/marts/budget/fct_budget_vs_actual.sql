{%- set books = ledgerbridge_source('sie') or ledgerbridge_source('fortnox') -%}
{%- set budgets = ledgerbridge_source('budget') or ledgerbridge_source('erp_files') or ledgerbridge_source('sie') -%}
{{ config(enabled=books and budgets) }}
-- One row per company, account, cost centre, project and month that has a budget or an
-- actual result: budget (int_budget__entries) against what the ledger booked (fct_gl_entries,
-- income-statement accounts and any account with a budget), debit positive, with the
-- year-to-date figures of the company's fiscal year (broken years included). A full outer
-- join: a budget nothing was booked against and a booking nobody budgeted both stay.
with

budget as (
    select * from {{ ref('int_budget__entries') }}
),

gl_entries as (
    select * from {{ ref('fct_gl_entries') }}
),

periods as (
    select * from {{ ref('int_budget__periods') }}
),

account_ranges as (
    select * from {{ ref('bas_account_ranges') }}
),

budgeted_accounts as (
    select distinct company_id, account_number from budget
),

booked as (
    -- the ledger per month and dimensions first: the account filter below then reads
    -- thousands of rows, not the ledger's millions
    select
        company_id,
        period_start,
        account_number,
        coalesce(cost_centre_code, '') as cost_centre_key,
        coalesce(project_code, '') as project_key,
        sum(amount) as actual_amount
    from gl_entries
    group by 1, 2, 3, 4, 5
),

actual as (
    -- the result accounts (statement by the BAS ranges, as dim_account places them) and any
    -- other account a budget names
    select booked.*
    from booked
    left join account_ranges
        on cast(left(booked.account_number, 4) as integer)
            between account_ranges.account_from and account_ranges.account_to
    left join budgeted_accounts
        on budgeted_accounts.company_id = booked.company_id
        and budgeted_accounts.account_number = booked.account_number
    where coalesce(
            account_ranges.statement,
            case when left(booked.account_number, 1) in ('1', '2')
                then 'balance_sheet' else 'income_statement' end
        ) = 'income_statement'
        or budgeted_accounts.account_number is not null
),

budget_keyed as (
    select
        company_id,
        period_start,
        account_number,
        coalesce(cost_centre_code, '') as cost_centre_key,
        coalesce(project_code, '') as project_key,
        amount as budget_amount,
        budget_source,
        budget_version
    from budget
),

joined as (
    select
        coalesce(budget_keyed.company_id, actual.company_id) as company_id,
        coalesce(budget_keyed.period_start, actual.period_start) as period_start,
        coalesce(budget_keyed.account_number, actual.account_number) as account_number,
        nullif(coalesce(budget_keyed.cost_centre_key, actual.cost_centre_key), '')
            as cost_centre_code,
        nullif(coalesce(budget_keyed.project_key, actual.project_key), '') as project_code,
        budget_keyed.budget_source,
        budget_keyed.budget_version,
        budget_keyed.company_id is not null as has_budget,
        actual.company_id is not null as has_actual,
        coalesce(budget_keyed.budget_amount, 0) as budget_amount,
        coalesce(actual.actual_amount, 0) as actual_amount
    from budget_keyed
    full outer join actual
        on actual.company_id = budget_keyed.company_id
        and actual.period_start = budget_keyed.period_start
        and actual.account_number = budget_keyed.account_number
        and actual.cost_centre_key = budget_keyed.cost_centre_key
        and actual.project_key = budget_keyed.project_key
),

with_periods as (
    select
        joined.*,
        periods.fiscal_year_start,
        periods.fiscal_year_end,
        periods.period_end,
        periods.fiscal_year,
        periods.fiscal_period_number
    from joined
    left join periods
        on periods.company_id = joined.company_id
        and periods.period_start = joined.period_start
),

year_to_date as (
    select
        *,
        sum(budget_amount) over (
            partition by company_id, fiscal_year_start, account_number, cost_centre_code, project_code
            order by period_start
            rows between unbounded preceding and current row
        ) as ytd_budget_amount,
        sum(actual_amount) over (
            partition by company_id, fiscal_year_start, account_number, cost_centre_code, project_code
            order by period_start
            rows between unbounded preceding and current row
        ) as ytd_actual_amount
    from with_periods
),

final as (
    select
        -- keys
        company_id,
        account_number,
        cost_centre_code,
        project_code,
        period_start,
        -- dates
        period_end,
        fiscal_year_start,
        fiscal_year_end,
        -- dimensions
        fiscal_year,
        fiscal_period_number,
        budget_source,
        budget_version,
        has_budget,
        has_actual,
        -- amounts (debit positive)
        {{ money('budget_amount') }} as budget_amount,
        {{ money('actual_amount') }} as actual_amount,
        {{ money('actual_amount - budget_amount') }} as variance_amount,
        -- (actual - budget) / budget in per cent: +10 means 10 % more than budgeted, in the
        -- budget's own direction (more cost, or more revenue); null without a budget amount
        {{ money('case when budget_amount <> 0 then 100 * (actual_amount - budget_amount) / budget_amount end') }}
            as variance_pct,
        {{ money('ytd_budget_amount') }} as ytd_budget_amount,
        {{ money('ytd_actual_amount') }} as ytd_actual_amount,
        {{ money('ytd_actual_amount - ytd_budget_amount') }} as ytd_variance_amount
    from year_to_date
)

select * from final
