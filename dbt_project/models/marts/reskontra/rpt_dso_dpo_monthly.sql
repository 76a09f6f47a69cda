{{ config(enabled=(ledgerbridge_source('fortnox') or ledgerbridge_source('tryton') or ledgerbridge_source('erp_files')) and (ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))) }}
-- One row per company and fiscal period the reskontra has reached: days sales outstanding
-- and days payables outstanding at the period end, over the three periods ending with it
-- (fewer at the start of the history):
--   dso_days = open customer invoices at the period end / customer invoices of the three
--              periods (gross, VAT included, as the receivables are) * days of those periods
--   dpo_days = the same with supplier invoices.
-- Null where nothing was invoiced in the three periods. Presentation signs: receivables,
-- payables and invoiced amounts are positive here.
with

periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

open_items as (
    select * from {{ ref('int_reskontra__open_items_monthly') }}
),

invoices as (
    select * from {{ ref('int_reskontra__invoices') }}
),

reached as (
    select company_id, max(period_end) as period_end from open_items group by company_id
),

spine as (
    select
        periods.company_id,
        periods.fiscal_year_start,
        periods.period_start,
        periods.period_end,
        {{ dbt.datediff('periods.period_start', 'periods.period_end', 'day') }} + 1 as period_days
    from periods
    inner join reached
        on reached.company_id = periods.company_id
        and periods.period_end <= reached.period_end
),

open_totals as (
    select
        company_id,
        period_end,
        sum(case when invoice_kind = 'customer' then open_amount else 0 end) as receivables,
        sum(case when invoice_kind = 'supplier' then open_amount else 0 end) as payables
    from open_items
    group by company_id, period_end
),

invoiced as (
    select
        spine.company_id,
        spine.period_end,
        sum(case when invoices.invoice_kind = 'customer' then invoices.gross_amount else 0 end)
            as sales,
        sum(case when invoices.invoice_kind = 'supplier' then invoices.gross_amount else 0 end)
            as purchases
    from spine
    inner join invoices
        on invoices.company_id = spine.company_id
        and invoices.invoice_date between spine.period_start and spine.period_end
    group by spine.company_id, spine.period_end
),

rolling as (
    select
        spine.company_id,
        spine.fiscal_year_start,
        spine.period_start,
        spine.period_end,
        coalesce(open_totals.receivables, 0) as receivables,
        coalesce(open_totals.payables, 0) as payables,
        sum(coalesce(invoiced.sales, 0)) over (
            partition by spine.company_id order by spine.period_end
            rows between 2 preceding and current row
        ) as sales_3_periods,
        sum(coalesce(invoiced.purchases, 0)) over (
            partition by spine.company_id order by spine.period_end
            rows between 2 preceding and current row
        ) as purchases_3_periods,
        sum(spine.period_days) over (
            partition by spine.company_id order by spine.period_end
            rows between 2 preceding and current row
        ) as days_3_periods
    from spine
    left join open_totals
        on open_totals.company_id = spine.company_id
        and open_totals.period_end = spine.period_end
    left join invoiced
        on invoiced.company_id = spine.company_id
        and invoiced.period_end = spine.period_end
),

final as (
    select
        -- keys
        company_id,
        period_end,
        -- dates
        fiscal_year_start,
        period_start,
        -- amounts (presentation: positive)
        {{ money('receivables') }} as receivables,
        {{ money('payables') }} as payables,
        {{ money('sales_3_periods') }} as sales_3_periods,
        {{ money('purchases_3_periods') }} as purchases_3_periods,
        cast(days_3_periods as integer) as days_3_periods,
        -- ratios
        cast(case when sales_3_periods > 0
            then receivables / sales_3_periods * days_3_periods end as decimal(18, 1)) as dso_days,
        cast(case when purchases_3_periods > 0
            then payables / purchases_3_periods * days_3_periods end as decimal(18, 1)) as dpo_days
    from rolling
)

select * from final
