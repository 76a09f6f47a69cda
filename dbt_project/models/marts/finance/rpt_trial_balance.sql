{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per company, fiscal year, period and account (råbalans): opening balance, debits,
-- credits and closing balance as of the period end, debit positive. Every account with an
-- opening balance or a booking in the fiscal year appears in every period of that year.
with

periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

entries as (
    select * from {{ ref('fct_gl_entries') }}
),

balances as (
    select * from {{ ref('int_ledger__balances') }}
),

accounts as (
    select * from {{ ref('dim_account') }}
),

opening_balances as (
    -- IB only exists for balance-sheet accounts; result accounts open each year at zero
    select company_id, fiscal_year_start, account_number, amount as opening_balance
    from balances
    where balance_kind = 'IB'
),

period_movements as (
    select
        company_id,
        fiscal_year_start,
        period_start,
        account_number,
        sum(case when amount > 0 then amount else 0 end) as debit,
        sum(case when amount < 0 then -amount else 0 end) as credit,
        sum(amount) as period_change
    from entries
    group by company_id, fiscal_year_start, period_start, account_number
),

accounts_in_year as (
    select company_id, fiscal_year_start, account_number from opening_balances
    union
    select company_id, fiscal_year_start, account_number from period_movements
),

grid as (
    select
        periods.company_id,
        periods.fiscal_year_start,
        periods.fiscal_year,
        periods.fiscal_period_number,
        periods.period_start,
        periods.period_end,
        accounts_in_year.account_number
    from accounts_in_year
    inner join periods
        on periods.company_id = accounts_in_year.company_id
        and periods.fiscal_year_start = accounts_in_year.fiscal_year_start
),

movements as (
    select
        grid.*,
        coalesce(opening_balances.opening_balance, 0) as year_opening_balance,
        coalesce(period_movements.debit, 0) as debit,
        coalesce(period_movements.credit, 0) as credit,
        coalesce(period_movements.period_change, 0) as period_change
    from grid
    left join period_movements
        on period_movements.company_id = grid.company_id
        and period_movements.fiscal_year_start = grid.fiscal_year_start
        and period_movements.period_start = grid.period_start
        and period_movements.account_number = grid.account_number
    left join opening_balances
        on opening_balances.company_id = grid.company_id
        and opening_balances.fiscal_year_start = grid.fiscal_year_start
        and opening_balances.account_number = grid.account_number
),

running as (
    select
        movements.*,
        year_opening_balance + sum(period_change) over (
            partition by company_id, fiscal_year_start, account_number
            order by period_start
            rows between unbounded preceding and current row
        ) as closing_balance
    from movements
),

final as (
    select
        -- keys
        running.company_id,
        running.fiscal_year_start,
        running.fiscal_year,
        running.fiscal_period_number,
        running.period_start,
        running.account_number,
        -- dates
        running.period_end,
        -- dimensions
        accounts.account_name,
        accounts.statement,
        accounts.report_line,
        accounts.report_line_ordinal,
        -- amounts (debit positive)
        {{ money('running.closing_balance - running.period_change') }} as opening_balance,
        {{ money('running.debit') }} as debit,
        {{ money('running.credit') }} as credit,
        {{ money('running.period_change') }} as period_change,
        {{ money('running.closing_balance') }} as closing_balance
    from running
    inner join accounts
        on accounts.company_id = running.company_id
        and accounts.account_number = running.account_number
)

select * from final
