{{ config(enabled=ledgerbridge_source('tryton')
    and (ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))) }}
-- One row per company, inventory account and fiscal period: the ERP's stock value of the
-- warehouses the account holds (seed warehouse_inventory_accounts; several warehouses may
-- share one) at the period's end against the account's balance then (the fiscal year's
-- opening balance plus the entries of the year up to the period's end). books_reached says
-- whether the books have a voucher on or after the period's end: until then the month's
-- stock voucher is not booked, and a difference is no difference yet. Debit positive, as
-- inventory is.
with

mapping as (
    select * from {{ ref('warehouse_inventory_accounts') }}
),

stock as (
    select * from {{ ref('fct_stock_balance_monthly') }}
),

periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

entries as (
    select * from {{ ref('fct_gl_entries') }}
),

opening_balances as (
    select * from {{ ref('int_ledger__balances') }}
    where balance_kind = 'IB'
),

accounts as (
    select
        company_id,
        account_number,
        {{ dbt.listagg('warehouse_code', "', '", 'order by warehouse_code') }} as warehouse_codes
    from mapping
    group by company_id, account_number
),

latest_voucher as (
    select company_id, max(voucher_date) as last_voucher_date
    from entries
    group by company_id
),

stock_values as (
    select
        stock.company_id,
        mapping.account_number,
        stock.period_start,
        sum(stock.closing_value) as stock_value
    from stock
    inner join mapping
        on mapping.company_id = stock.company_id
        and mapping.warehouse_code = stock.warehouse_code
    group by stock.company_id, mapping.account_number, stock.period_start
),

monthly_entries as (
    select
        entries.company_id,
        entries.account_number,
        entries.fiscal_year_start,
        entries.period_start,
        sum(entries.amount) as amount
    from entries
    inner join accounts
        on accounts.company_id = entries.company_id
        and accounts.account_number = entries.account_number
    group by entries.company_id, entries.account_number, entries.fiscal_year_start,
        entries.period_start
),

spine as (
    select
        accounts.company_id,
        accounts.account_number,
        accounts.warehouse_codes,
        periods.fiscal_year_start,
        periods.period_start,
        periods.period_end
    from accounts
    inner join periods on periods.company_id = accounts.company_id
),

ledger as (
    select
        spine.*,
        coalesce(opening_balances.amount, 0) + sum(coalesce(monthly_entries.amount, 0)) over (
            partition by spine.company_id, spine.account_number, spine.fiscal_year_start
            order by spine.period_start
            rows between unbounded preceding and current row
        ) as account_balance
    from spine
    left join opening_balances
        on opening_balances.company_id = spine.company_id
        and opening_balances.account_number = spine.account_number
        and opening_balances.fiscal_year_start = spine.fiscal_year_start
    left join monthly_entries
        on monthly_entries.company_id = spine.company_id
        and monthly_entries.account_number = spine.account_number
        and monthly_entries.fiscal_year_start = spine.fiscal_year_start
        and monthly_entries.period_start = spine.period_start
),

final as (
    select
        -- keys
        ledger.company_id,
        ledger.account_number,
        ledger.period_start,
        -- dates
        ledger.period_end,
        ledger.fiscal_year_start,
        -- dimensions
        ledger.warehouse_codes,
        coalesce(ledger.period_end <= latest_voucher.last_voucher_date, false) as books_reached,
        -- amounts
        {{ money('coalesce(stock_values.stock_value, 0)') }} as stock_value,
        {{ money('ledger.account_balance') }} as account_balance,
        {{ money('coalesce(stock_values.stock_value, 0) - ledger.account_balance') }}
            as difference
    from ledger
    left join stock_values
        on stock_values.company_id = ledger.company_id
        and stock_values.account_number = ledger.account_number
        and stock_values.period_start = ledger.period_start
    left join latest_voucher on latest_voucher.company_id = ledger.company_id
)

select * from final
