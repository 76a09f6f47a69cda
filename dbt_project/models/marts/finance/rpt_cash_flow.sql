{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per company, period and cash-flow line (kassaflödesanalys, indirect method):
-- the year's result, adjustments for items that are not cash (depreciation on accumulated
-- depreciation accounts, untaxed reserves, provisions), the change in working capital
-- (inventory, receivables, payables, other), investing and financing, and the period's cash
-- flow as their sum. Signs read as the report does: an inflow of cash is positive, so a
-- growing receivable is negative. Each line is the change of the accounts whose
-- cash_flow_group (dim_account) it names, with its sign turned; opening_cash and
-- closing_cash are the balances of the cash accounts (19xx), which the period's cash flow
-- moves from one to the other (tested). A booked year-end transfer (8999 against 2099) nets
-- to zero inside financing.
with

balances as (
    select * from {{ ref('fct_gl_balance_monthly') }}
),

accounts as (
    select * from {{ ref('dim_account') }}
),

periods as (
    select * from {{ ref('dim_fiscal_period') }}
),

cash_flow_lines as (
    select * from {{ ref('cash_flow_lines') }}
),

books_periods as (
    select
        periods.company_id,
        periods.period_start,
        periods.period_end,
        periods.fiscal_year_start,
        periods.fiscal_year,
        periods.fiscal_period_number
    from periods
    inner join (
        select company_id, min(period_start) as first_period_start
        from balances
        group by company_id
    ) as first_periods
        on first_periods.company_id = periods.company_id
        and periods.period_start >= first_periods.first_period_start
),

group_changes as (
    -- movements of the period (not the opening balances a new year brings in)
    select
        balances.company_id,
        balances.period_start,
        accounts.cash_flow_group,
        sum(balances.period_change) as period_change
    from balances
    inner join accounts
        on accounts.company_id = balances.company_id
        and accounts.account_number = balances.account_number
    group by balances.company_id, balances.period_start, accounts.cash_flow_group
),

cash as (
    select
        balances.company_id,
        balances.period_start,
        sum(balances.opening_balance) as opening_cash,
        sum(balances.closing_balance) as closing_cash
    from balances
    inner join accounts
        on accounts.company_id = balances.company_id
        and accounts.account_number = balances.account_number
    where accounts.cash_flow_group = 'cash'
    group by balances.company_id, balances.period_start
),

line_grid as (
    select distinct
        books_periods.company_id,
        books_periods.period_start,
        cash_flow_lines.cash_flow_line,
        cash_flow_lines.cash_flow_line_ordinal,
        cash_flow_lines.cash_flow_section
    from books_periods
    cross join cash_flow_lines
),

line_amounts as (
    select
        line_grid.company_id,
        line_grid.period_start,
        line_grid.cash_flow_section,
        line_grid.cash_flow_line,
        line_grid.cash_flow_line_ordinal,
        -- an increase of a debit balance uses cash: turn the sign
        -coalesce(sum(group_changes.period_change), 0) as amount
    from line_grid
    left join cash_flow_lines
        on cash_flow_lines.cash_flow_line = line_grid.cash_flow_line
    left join group_changes
        on group_changes.company_id = line_grid.company_id
        and group_changes.period_start = line_grid.period_start
        and group_changes.cash_flow_group = cash_flow_lines.cash_flow_group
    group by
        line_grid.company_id,
        line_grid.period_start,
        line_grid.cash_flow_section,
        line_grid.cash_flow_line,
        line_grid.cash_flow_line_ordinal
),

with_total as (
    select * from line_amounts
    union all
    select
        company_id,
        period_start,
        'cash_flow',
        'Periodens kassaflöde',
        90,
        sum(amount)
    from line_amounts
    group by company_id, period_start
),

final as (
    select
        -- keys
        with_total.company_id,
        with_total.period_start,
        with_total.cash_flow_line,
        -- dates
        books_periods.period_end,
        books_periods.fiscal_year_start,
        -- dimensions
        books_periods.fiscal_year,
        books_periods.fiscal_period_number,
        with_total.cash_flow_section,
        with_total.cash_flow_line_ordinal,
        -- amounts (inflow positive)
        {{ money('with_total.amount') }} as amount,
        {{ money('sum(with_total.amount) over (
            partition by
                with_total.company_id,
                books_periods.fiscal_year_start,
                with_total.cash_flow_line
            order by with_total.period_start
            rows between unbounded preceding and current row
        )') }} as ytd_amount,
        {{ money('coalesce(cash.opening_cash, 0)') }} as opening_cash,
        {{ money('coalesce(cash.closing_cash, 0)') }} as closing_cash
    from with_total
    inner join books_periods
        on books_periods.company_id = with_total.company_id
        and books_periods.period_start = with_total.period_start
    left join cash
        on cash.company_id = with_total.company_id
        and cash.period_start = with_total.period_start
)

select * from final
