{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per company, period end and balance-sheet line (balansräkning as of each month's
-- end). amount is debit positive; report_amount reads as the report does (assets, equity and
-- liabilities positive), so assets and equity & liabilities are equal in every period.
--
-- Balanserat resultat and årets resultat are separate lines. Årets resultat is the
-- year-to-date result of the income statement, without the result accounts (8990-8999) a
-- booked year-end transfer uses; balanserat resultat is the result accounts of equity
-- (2090-2099) plus that transfer, so a result the books already moved to 2099 is not counted
-- twice, and last year's result brought forward in 2099 (IB) is balanserat, not this year's.
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

account_balances as (
    select
        balances.company_id,
        balances.period_start,
        accounts.statement,
        accounts.report_section,
        accounts.report_line,
        accounts.report_line_ordinal,
        sum(balances.closing_balance) as closing_balance
    from balances
    inner join accounts
        on accounts.company_id = balances.company_id
        and accounts.account_number = balances.account_number
    group by
        balances.company_id,
        balances.period_start,
        accounts.statement,
        accounts.report_section,
        accounts.report_line,
        accounts.report_line_ordinal
),

books_periods as (
    -- the months the books cover, from the first with a balance
    select
        periods.company_id,
        periods.period_start
    from periods
    inner join (
        select company_id, min(period_start) as first_period_start
        from balances
        group by company_id
    ) as first_periods
        on first_periods.company_id = periods.company_id
        and periods.period_start >= first_periods.first_period_start
),

result_parts as (
    select
        books_periods.company_id,
        books_periods.period_start,
        coalesce(sum(case
            when account_balances.report_section in ('retained_earnings', 'result_of_the_year')
                then account_balances.closing_balance end), 0) as result_equity,
        coalesce(sum(case
            when account_balances.report_section = 'result_transfer'
                then account_balances.closing_balance end), 0) as result_transferred,
        coalesce(sum(case
            when account_balances.statement = 'income_statement'
                and account_balances.report_section <> 'result_transfer'
                then account_balances.closing_balance end), 0) as year_result
    from books_periods
    left join account_balances
        on account_balances.company_id = books_periods.company_id
        and account_balances.period_start = books_periods.period_start
    group by books_periods.company_id, books_periods.period_start
),

lines as (
    select
        company_id,
        period_start,
        report_section,
        report_line,
        report_line_ordinal,
        closing_balance as amount
    from account_balances
    where statement = 'balance_sheet'
        and report_section not in ('retained_earnings', 'result_of_the_year')
    union all
    select
        company_id,
        period_start,
        'retained_earnings',
        'Balanserat resultat',
        {{ var('retained_earnings_ordinal', 211) }},
        result_equity + result_transferred
    from result_parts
    union all
    select
        company_id,
        period_start,
        'result_of_the_year',
        'Årets resultat',
        {{ var('result_of_the_year_ordinal', 212) }},
        year_result
    from result_parts
),

final as (
    select
        -- keys
        lines.company_id,
        lines.period_start,
        lines.report_line,
        -- dates
        periods.period_end,
        periods.fiscal_year_start,
        -- dimensions
        periods.fiscal_year,
        periods.fiscal_period_number,
        case when lines.report_section = 'assets' then 'assets' else 'equity_and_liabilities' end
            as balance_sheet_side,
        lines.report_section,
        lines.report_line_ordinal,
        -- amounts
        {{ money('lines.amount') }} as amount,
        {{ money("case when lines.report_section = 'assets'
            then lines.amount else -lines.amount end") }}
            as report_amount
    from lines
    inner join periods
        on periods.company_id = lines.company_id
        and periods.period_start = lines.period_start
)

select * from final
