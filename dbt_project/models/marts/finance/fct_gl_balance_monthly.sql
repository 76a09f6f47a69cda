{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per company, account, cost centre, project and month (period_start), from the
-- slice's first activity (a booking or an opening balance) up to the last period of the
-- company's books, with no gaps: opening, change, closing and year-to-date change, debit
-- positive. Balance-sheet accounts carry their balance over the years and open each fiscal
-- year at the IB the books state (on the slice without cost centre and project; a difference
-- to the carried balance, such as last year's result brought into 2099, enters there).
-- Income-statement accounts restart at zero each fiscal year.
with

entries as (
    select * from {{ ref('fct_gl_entries') }}
),

accounts as (
    select * from {{ ref('dim_account') }}
),

periods as (
    select * from {{ ref('dim_fiscal_period') }}
),

balances as (
    select * from {{ ref('int_ledger__balances') }}
),

fiscal_years as (
    select distinct company_id, fiscal_year_start from periods
),

movements as (
    select
        company_id,
        account_number,
        cost_centre_code,
        project_code,
        period_start,
        sum(case when amount > 0 then amount else 0 end) as debit,
        sum(case when amount < 0 then -amount else 0 end) as credit,
        sum(amount) as period_change
    from entries
    group by company_id, account_number, cost_centre_code, project_code, period_start
),

stated_openings as (
    -- the IB the books state, balance-sheet accounts only
    {{ stated_openings('balances', 'accounts') }}
),

stated_years as (
    -- the fiscal years whose IB the books state
    select distinct company_id, fiscal_year_start from stated_openings
),

yearly_movements as (
    select
        entries.company_id,
        entries.account_number,
        entries.fiscal_year_start,
        sum(entries.amount) as year_change
    from entries
    inner join accounts
        on accounts.company_id = entries.company_id
        and accounts.account_number = entries.account_number
    where accounts.statement = 'balance_sheet'
    group by entries.company_id, entries.account_number, entries.fiscal_year_start
),

balance_accounts as (
    select company_id, account_number from stated_openings
    union
    select company_id, account_number from yearly_movements
),

account_years as (
    -- every balance-sheet account in every fiscal year of its company
    select
        balance_accounts.company_id,
        balance_accounts.account_number,
        fiscal_years.fiscal_year_start,
        coalesce(yearly_movements.year_change, 0) as year_change
    from balance_accounts
    inner join fiscal_years
        on fiscal_years.company_id = balance_accounts.company_id
    left join yearly_movements
        on yearly_movements.company_id = balance_accounts.company_id
        and yearly_movements.account_number = balance_accounts.account_number
        and yearly_movements.fiscal_year_start = fiscal_years.fiscal_year_start
),

moved_before as (
    select
        company_id,
        account_number,
        fiscal_year_start,
        coalesce(sum(year_change) over (
            partition by company_id, account_number
            order by fiscal_year_start
            rows between unbounded preceding and 1 preceding
        ), 0) as moved_before_year
    from account_years
),

brought_in as (
    -- in each year with a stated IB: how much of it the bookings before the year do not
    -- explain, cumulatively; the year's injection is the increase over the last stated year
    select
        moved_before.company_id,
        moved_before.account_number,
        moved_before.fiscal_year_start,
        coalesce(stated_openings.amount, 0) - moved_before.moved_before_year as brought_in_through
    from moved_before
    inner join stated_years
        on stated_years.company_id = moved_before.company_id
        and stated_years.fiscal_year_start = moved_before.fiscal_year_start
    left join stated_openings
        on stated_openings.company_id = moved_before.company_id
        and stated_openings.account_number = moved_before.account_number
        and stated_openings.fiscal_year_start = moved_before.fiscal_year_start
),

injections as (
    select
        company_id,
        account_number,
        cast(null as {{ dbt.type_string() }}) as cost_centre_code,
        cast(null as {{ dbt.type_string() }}) as project_code,
        fiscal_year_start as period_start,
        brought_in_through - coalesce(lag(brought_in_through) over (
            partition by company_id, account_number
            order by fiscal_year_start
        ), 0) as opening_adjustment
    from brought_in
),

activity as (
    select company_id, account_number, cost_centre_code, project_code, period_start
    from movements
    union all
    select company_id, account_number, cost_centre_code, project_code, period_start
    from injections
    where opening_adjustment <> 0
),

slices as (
    select
        company_id,
        account_number,
        cost_centre_code,
        project_code,
        min(period_start) as first_period_start
    from activity
    group by company_id, account_number, cost_centre_code, project_code
),

grid as (
    -- every month from the slice's first activity to the end of the books
    select
        slices.company_id,
        slices.account_number,
        slices.cost_centre_code,
        slices.project_code,
        periods.period_start,
        periods.period_end,
        periods.fiscal_year_start,
        periods.fiscal_year,
        periods.fiscal_period_number
    from slices
    inner join periods
        on periods.company_id = slices.company_id
        and periods.period_start >= slices.first_period_start
),

filled as (
    select
        grid.*,
        accounts.statement,
        coalesce(movements.debit, 0) as debit,
        coalesce(movements.credit, 0) as credit,
        coalesce(movements.period_change, 0) as period_change,
        coalesce(injections.opening_adjustment, 0) as opening_adjustment
    from grid
    inner join accounts
        on accounts.company_id = grid.company_id
        and accounts.account_number = grid.account_number
    left join movements
        on movements.company_id = grid.company_id
        and movements.account_number = grid.account_number
        and coalesce(movements.cost_centre_code, '') = coalesce(grid.cost_centre_code, '')
        and coalesce(movements.project_code, '') = coalesce(grid.project_code, '')
        and movements.period_start = grid.period_start
    left join injections
        on injections.company_id = grid.company_id
        and injections.account_number = grid.account_number
        and grid.cost_centre_code is null
        and grid.project_code is null
        and injections.period_start = grid.period_start
),

running as (
    select
        filled.*,
        sum(period_change) over (
            partition by
                company_id, account_number, cost_centre_code, project_code, fiscal_year_start
            order by period_start
            rows between unbounded preceding and current row
        ) as ytd_change,
        sum(period_change + opening_adjustment) over (
            partition by company_id, account_number, cost_centre_code, project_code
            order by period_start
            rows between unbounded preceding and current row
        ) as carried_balance
    from filled
),

final as (
    select
        -- keys
        company_id,
        account_number,
        cost_centre_code,
        project_code,
        period_start,
        fiscal_year_start,
        -- dates
        period_end,
        -- dimensions
        fiscal_year,
        fiscal_period_number,
        statement,
        -- amounts (debit positive)
        {{ money("case when statement = 'balance_sheet' then carried_balance else ytd_change end
            - period_change") }} as opening_balance,
        {{ money('debit') }} as debit,
        {{ money('credit') }} as credit,
        {{ money('period_change') }} as period_change,
        {{ money("case when statement = 'balance_sheet' then carried_balance
            else ytd_change end") }} as closing_balance,
        {{ money('ytd_change') }} as ytd_change
    from running
)

select * from final
