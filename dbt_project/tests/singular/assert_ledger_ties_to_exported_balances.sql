-- The ledger must tie to the balances the accounting program exported with it: for every
-- balance account, IB + Σ booked rows = UB; for every result account, Σ booked rows = RES.
-- A row here means vouchers were lost or added between the export and the marts.
with

balances as (
    select * from {{ ref('stg_sie__balances') }}
),

entries as (
    select * from {{ ref('fct_gl_entries') }}
),

booked as (
    select company_id, fiscal_year_start, account_number, sum(amount) as booked
    from entries
    group by company_id, fiscal_year_start, account_number
),

years_with_vouchers as (
    select distinct company_id, fiscal_year_start from entries
),

expected as (
    select
        closing.company_id,
        closing.fiscal_year_start,
        closing.account_number,
        closing.amount - coalesce(opening.amount, 0) as expected_booked
    from balances as closing
    left join balances as opening
        on opening.company_id = closing.company_id
        and opening.fiscal_year_start = closing.fiscal_year_start
        and opening.account_number = closing.account_number
        and opening.balance_kind = 'IB'
    where closing.balance_kind in ('UB', 'RES')
)

select
    expected.company_id,
    expected.fiscal_year_start,
    expected.account_number,
    expected.expected_booked,
    coalesce(booked.booked, 0) as booked
from expected
inner join years_with_vouchers
    on years_with_vouchers.company_id = expected.company_id
    and years_with_vouchers.fiscal_year_start = expected.fiscal_year_start
left join booked
    on booked.company_id = expected.company_id
    and booked.fiscal_year_start = expected.fiscal_year_start
    and booked.account_number = expected.account_number
where expected.expected_booked <> coalesce(booked.booked, 0)
