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
-- A fiscal year the books have opened but whose IB they do not state yet (a new year before
-- its opening balances are set, with or without bookings) has the results of the years
-- since the last stated IB in balanserat resultat too: no balance-sheet account holds them.
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

stated_balances as (
    select * from {{ ref('int_ledger__balances') }}
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
        periods.period_start,
        periods.fiscal_year_start
    from periods
    inner join (
        select company_id, min(period_start) as first_period_start
        from balances
        group by company_id
    ) as first_periods
        on first_periods.company_id = periods.company_id
        and periods.period_start >= first_periods.first_period_start
),

stated_openings as (
    {{ stated_openings('stated_balances', 'accounts') }}
),

stated_years as (
    -- the fiscal years whose IB the books state: it brings every earlier year's result into
    -- equity (fct_gl_balance_monthly opens the year at it)
    select distinct company_id, fiscal_year_start from stated_openings
),

year_results as (
    -- each fiscal year's result, a booked transfer (8990-8999) included: a result the books
    -- moved to 2099 is no longer here, the balance-sheet account carries it
    select
        balances.company_id,
        balances.fiscal_year_start,
        sum(balances.period_change) as year_result
    from balances
    inner join accounts
        on accounts.company_id = balances.company_id
        and accounts.account_number = balances.account_number
    where accounts.statement = 'income_statement'
    group by balances.company_id, balances.fiscal_year_start
),

fiscal_years as (
    select company_id, fiscal_year_start from periods group by company_id, fiscal_year_start
),

last_stated as (
    -- for each fiscal year, the latest year up to it whose IB the books state (none: null)
    select
        fiscal_years.company_id,
        fiscal_years.fiscal_year_start,
        max(stated_years.fiscal_year_start) as last_stated_year_start
    from fiscal_years
    left join stated_years
        on stated_years.company_id = fiscal_years.company_id
        and stated_years.fiscal_year_start <= fiscal_years.fiscal_year_start
    group by fiscal_years.company_id, fiscal_years.fiscal_year_start
),

results_not_brought_in as (
    -- the results of the years before it since that stated IB: in equity, no account's
    select
        last_stated.company_id,
        last_stated.fiscal_year_start,
        coalesce(sum(year_results.year_result), 0) as amount
    from last_stated
    left join year_results
        on year_results.company_id = last_stated.company_id
        and year_results.fiscal_year_start < last_stated.fiscal_year_start
        and (
            last_stated.last_stated_year_start is null
            or year_results.fiscal_year_start >= last_stated.last_stated_year_start
        )
    group by last_stated.company_id, last_stated.fiscal_year_start
),

result_parts as (
    select
        books_periods.company_id,
        books_periods.period_start,
        results_not_brought_in.amount as earlier_results,
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
    inner join results_not_brought_in
        on results_not_brought_in.company_id = books_periods.company_id
        and results_not_brought_in.fiscal_year_start = books_periods.fiscal_year_start
    left join account_balances
        on account_balances.company_id = books_periods.company_id
        and account_balances.period_start = books_periods.period_start
    group by books_periods.company_id, books_periods.period_start, results_not_brought_in.amount
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
        result_equity + result_transferred + earlier_results
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
