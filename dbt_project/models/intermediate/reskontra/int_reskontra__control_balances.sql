{%- set bank = ledgerbridge_source('bank') -%}
{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per company, control (receivables, payables, bank) and as-of date: the balance of the
-- control's accounts at the end of that day, debit positive. As-of dates are every fiscal
-- period end and, where bank statements are loaded, every statement's closing date. The
-- balance is the fiscal year's opening balance (IB) plus the year's vouchers up to the date,
-- computed as one running sum per year over the day totals and the as-of dates (no join of
-- every date with every earlier voucher).
with

control_accounts as (
    select * from {{ ref('int_reskontra__control_accounts') }}
    where control in ('receivables', 'payables', 'bank')
),

voucher_rows as (
    select * from {{ ref('int_ledger__voucher_rows') }}
),

vouchers as (
    select * from {{ ref('int_ledger__vouchers') }}
),

balances as (
    select * from {{ ref('int_ledger__balances') }} where balance_kind = 'IB'
),

fiscal_years as (
    select * from {{ ref('int_ledger__fiscal_years') }}
),

periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

{% if bank -%}
statements as (
    select * from {{ ref('stg_bank__statements') }}
),
{%- endif %}

controls as (
    select distinct company_id, control from control_accounts
),

as_of_dates as (
    select company_id, period_end as as_of_date from periods
    {% if bank -%}
    union
    select company_id, closing_date as as_of_date from statements
    {%- endif %}
),

-- the as-of dates within a fiscal year the books hold, once per control
markers as (
    select
        controls.company_id,
        controls.control,
        fiscal_years.fiscal_year_start,
        as_of_dates.as_of_date as balance_date,
        {{ money(0) }} as amount,
        1 as is_marker
    from as_of_dates
    inner join fiscal_years
        on fiscal_years.company_id = as_of_dates.company_id
        and as_of_dates.as_of_date between fiscal_years.fiscal_year_start
            and fiscal_years.fiscal_year_end
    inner join controls
        on controls.company_id = as_of_dates.company_id
),

opening as (
    select
        balances.company_id,
        control_accounts.control,
        balances.fiscal_year_start,
        balances.fiscal_year_start as balance_date,
        sum(balances.amount) as amount,
        0 as is_marker
    from balances
    inner join control_accounts
        on control_accounts.company_id = balances.company_id
        and control_accounts.account_number = balances.account_number
    group by 1, 2, 3, 4
),

day_totals as (
    select
        voucher_rows.company_id,
        control_accounts.control,
        voucher_rows.fiscal_year_start,
        vouchers.voucher_date as balance_date,
        sum(voucher_rows.amount) as amount,
        0 as is_marker
    from voucher_rows
    inner join control_accounts
        on control_accounts.company_id = voucher_rows.company_id
        and control_accounts.account_number = voucher_rows.account_number
    inner join vouchers
        on vouchers.voucher_id = voucher_rows.voucher_id
    group by 1, 2, 3, 4
),

events as (
    select * from opening
    union all
    select * from day_totals
    union all
    select * from markers
),

running as (
    select
        company_id,
        control,
        fiscal_year_start,
        balance_date,
        is_marker,
        -- a day's vouchers come before its marker: the balance is the one at the day's end
        sum(amount) over (
            partition by company_id, control, fiscal_year_start
            order by balance_date, is_marker
            rows between unbounded preceding and current row
        ) as balance
    from events
),

final as (
    select
        -- keys
        company_id,
        control,
        balance_date as as_of_date,
        -- dates
        fiscal_year_start,
        -- amounts (debit positive)
        {{ money('balance') }} as balance
    from running
    where is_marker = 1
)

select * from final
