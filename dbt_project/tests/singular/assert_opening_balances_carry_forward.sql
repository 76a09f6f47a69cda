{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- Each year's opening balances must be the previous year's closing ones: for every balance
-- sheet account, IB(N) + Σ booked rows of N = IB(N + 1). Equity (20xx) is compared as a
-- whole and with the year's result added, since the result reaches equity either by a booked
-- closing voucher (8999 against 2099, inside N's rows) or as the next year's opening balance.
-- Unlike the tie-out to exported balances this needs opening balances only, so it checks
-- Fortnox books as well as SIE ones; a row here means vouchers were lost, added or changed
-- in a closed year.
with

balances as (
    select * from {{ ref('int_ledger__balances') }} where balance_kind = 'IB'
),

fiscal_years as (
    select
        company_id,
        fiscal_year_start,
        lead(fiscal_year_start) over (
            partition by company_id order by fiscal_year_start
        ) as next_year_start
    from {{ ref('int_ledger__fiscal_years') }}
),

entries as (
    select * from {{ ref('fct_gl_entries') }}
),

-- the group an account is compared in: itself, equity as a whole, or the year's result
account_groups as (
    select distinct
        company_id,
        account_number,
        case
            when account_number between '2000' and '2099' then 'equity'
            when account_number < '3000' then account_number
            else 'equity'
        end as compared_as,
        account_number < '3000' as is_balance_account
    from (
        select company_id, account_number from balances
        union
        select company_id, account_number from entries
    ) as accounts
),

closing as (
    select
        fiscal_years.company_id,
        fiscal_years.next_year_start,
        account_groups.compared_as,
        sum(amounts.amount) as closing_amount
    from fiscal_years
    inner join (
        select company_id, fiscal_year_start, account_number, amount from balances
        union all
        select company_id, fiscal_year_start, account_number, amount from entries
    ) as amounts
        on amounts.company_id = fiscal_years.company_id
        and amounts.fiscal_year_start = fiscal_years.fiscal_year_start
    inner join account_groups
        on account_groups.company_id = amounts.company_id
        and account_groups.account_number = amounts.account_number
    where fiscal_years.next_year_start is not null
    group by fiscal_years.company_id, fiscal_years.next_year_start, account_groups.compared_as
),

opening as (
    select
        balances.company_id,
        balances.fiscal_year_start,
        account_groups.compared_as,
        sum(balances.amount) as opening_amount
    from balances
    inner join account_groups
        on account_groups.company_id = balances.company_id
        and account_groups.account_number = balances.account_number
        and account_groups.is_balance_account
    group by balances.company_id, balances.fiscal_year_start, account_groups.compared_as
),

compared as (
    select
        coalesce(closing.company_id, opening.company_id) as company_id,
        coalesce(closing.next_year_start, opening.fiscal_year_start) as fiscal_year_start,
        coalesce(closing.compared_as, opening.compared_as) as compared_as,
        coalesce(closing.closing_amount, 0) as previous_closing,
        coalesce(opening.opening_amount, 0) as opening
    from closing
    full outer join opening
        on opening.company_id = closing.company_id
        and opening.fiscal_year_start = closing.next_year_start
        and opening.compared_as = closing.compared_as
),

-- years that follow one the books hold and whose opening balances they state
compared_years as (
    select distinct fiscal_years.company_id, fiscal_years.next_year_start as fiscal_year_start
    from fiscal_years
    inner join balances
        on balances.company_id = fiscal_years.company_id
        and balances.fiscal_year_start = fiscal_years.next_year_start
)

select compared.*
from compared
inner join compared_years
    on compared_years.company_id = compared.company_id
    and compared_years.fiscal_year_start = compared.fiscal_year_start
where compared.previous_closing <> compared.opening
