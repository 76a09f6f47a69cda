{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- The ledger must tie to the balances the accounting program exported with it: for every
-- account, IB + Σ booked rows = UB (balance accounts) and Σ booked rows = RES (result
-- accounts), an account without a stated balance counting as zero. A row here means vouchers
-- were lost or added between the export and the marts. It checks SIE books: Fortnox's API
-- states opening balances only (int_ledger__balances), so a Fortnox company has no year with
-- stated closing balances and nothing to compare here.
with

balances as (
    select * from {{ ref('int_ledger__balances') }}
),

entries as (
    select * from {{ ref('fct_gl_entries') }}
),

booked as (
    select company_id, fiscal_year_start, account_number, sum(amount) as booked
    from entries
    group by company_id, fiscal_year_start, account_number
),

stated as (
    select
        company_id,
        fiscal_year_start,
        account_number,
        sum(case when balance_kind in ('UB', 'RES') then amount else 0 end)
            - sum(case when balance_kind = 'IB' then amount else 0 end) as expected_booked
    from balances
    group by company_id, fiscal_year_start, account_number
),

years_with_stated_balances as (
    -- years whose export carries both vouchers and closing balances (type 1–3 files carry
    -- balances only)
    select distinct balances.company_id, balances.fiscal_year_start
    from balances
    inner join booked
        on booked.company_id = balances.company_id
        and booked.fiscal_year_start = balances.fiscal_year_start
    where balances.balance_kind in ('UB', 'RES')
),

compared as (
    select
        coalesce(stated.company_id, booked.company_id) as company_id,
        coalesce(stated.fiscal_year_start, booked.fiscal_year_start) as fiscal_year_start,
        coalesce(stated.account_number, booked.account_number) as account_number,
        coalesce(stated.expected_booked, 0) as expected_booked,
        coalesce(booked.booked, 0) as booked
    from stated
    full outer join booked
        on booked.company_id = stated.company_id
        and booked.fiscal_year_start = stated.fiscal_year_start
        and booked.account_number = stated.account_number
)

select compared.*
from compared
inner join years_with_stated_balances as years
    on years.company_id = compared.company_id
    and years.fiscal_year_start = compared.fiscal_year_start
where compared.expected_booked <> compared.booked
