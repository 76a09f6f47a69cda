{{ config(enabled=ledgerbridge_source('tryton')
    and (ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))) }}
-- One row per company and fiscal period: the cost of the goods the ERP delivered to customers
-- in the period (its deliveries valued at the cost in force when each left, returns net) and
-- the cost of goods the books carry for it (the entries on class 4 accounts — BAS "varor,
-- material och vissa köpta tjänster": purchases and the change in stock booked against the
-- inventory accounts). Costs positive. They differ by what the books see and the ERP does not
-- (purchase price variances, stock written down in the books only, freight) and by stock
-- booked late; books_reached as in rpt_inventory_vs_ledger.
with

movements as (
    select * from {{ ref('fct_stock_movements') }}
),

periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

entries as (
    select * from {{ ref('fct_gl_entries') }}
),

accounts as (
    select * from {{ ref('dim_account') }}
),

latest_voucher as (
    select company_id, max(voucher_date) as last_voucher_date
    from entries
    group by company_id
),

delivered as (
    select
        company_id,
        cast({{ dbt.date_trunc('month', 'move_date') }} as date) as period_start,
        -sum(stock_value) as cost_of_goods_sold
    from movements
    where move_type = 'delivery'
    group by company_id, cast({{ dbt.date_trunc('month', 'move_date') }} as date)
),

booked as (
    select
        entries.company_id,
        entries.period_start,
        sum(entries.amount) as cost_of_goods_sold
    from entries
    inner join accounts
        on accounts.company_id = entries.company_id
        and accounts.account_number = entries.account_number
    where accounts.account_class = 4
    group by entries.company_id, entries.period_start
),

final as (
    select
        -- keys
        periods.company_id,
        periods.period_start,
        -- dates
        periods.period_end,
        periods.fiscal_year_start,
        periods.fiscal_period_number,
        -- dimensions
        coalesce(periods.period_end <= latest_voucher.last_voucher_date, false) as books_reached,
        -- amounts (costs positive)
        {{ money('coalesce(delivered.cost_of_goods_sold, 0)') }} as erp_cost_of_goods_sold,
        {{ money('coalesce(booked.cost_of_goods_sold, 0)') }} as booked_cost_of_goods_sold,
        {{ money('coalesce(delivered.cost_of_goods_sold, 0) - coalesce(booked.cost_of_goods_sold, 0)') }}
            as difference
    from periods
    inner join (select distinct company_id from movements) as erp_companies
        on erp_companies.company_id = periods.company_id
    left join delivered
        on delivered.company_id = periods.company_id
        and delivered.period_start = periods.period_start
    left join booked
        on booked.company_id = periods.company_id
        and booked.period_start = periods.period_start
    left join latest_voucher on latest_voucher.company_id = periods.company_id
)

select * from final
