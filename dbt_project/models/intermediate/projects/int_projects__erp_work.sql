{{ config(enabled=ledgerbridge_source('tryton')) }}
-- One row per company, project and month with work the ERP sold or invoiced on the project:
-- the hours (quantities of service products, which the ERP sells by the hour) and net amounts
-- of confirmed sales order lines (work sold, by order date) and of posted customer invoice
-- lines (work invoiced, by invoice date), as the ERP's documents state them (net of VAT,
-- positive for work sold). Lines of goods on a project count in the amounts, not the hours.
with

sales as (
    select * from {{ ref('stg_tryton__sales') }}
    where state in ('confirmed', 'processing', 'done')
),

sale_lines as (
    select * from {{ ref('stg_tryton__sale_lines') }} where project is not null
),

invoices as (
    select * from {{ ref('stg_tryton__invoices') }}
    where invoice_kind = 'customer' and state in ('posted', 'paid')
),

invoice_lines as (
    select * from {{ ref('stg_tryton__invoice_lines') }} where project is not null
),

products as (
    select * from {{ ref('stg_tryton__products') }}
),

ordered as (
    select
        sale_lines.company_id,
        sale_lines.project as project_code,
        cast({{ dbt.date_trunc('month', 'sales.sale_date') }} as date) as period_start,
        case when products.item_type = 'service' then sale_lines.quantity else 0 end
            as hours_ordered,
        sale_lines.net_amount as ordered_amount,
        cast(0 as decimal(18, 4)) as hours_invoiced,
        cast(0 as decimal(18, 2)) as invoiced_amount
    from sale_lines
    inner join sales
        on sales.company_id = sale_lines.company_id and sales.sale_id = sale_lines.sale_id
    left join products
        on products.company_id = sale_lines.company_id
        and products.product_id = sale_lines.product_id
),

invoiced as (
    select
        invoice_lines.company_id,
        invoice_lines.project as project_code,
        cast({{ dbt.date_trunc('month', 'invoices.invoice_date') }} as date) as period_start,
        cast(0 as decimal(18, 4)) as hours_ordered,
        cast(0 as decimal(18, 2)) as ordered_amount,
        case when products.item_type = 'service' then invoice_lines.quantity else 0 end
            as hours_invoiced,
        invoice_lines.net_amount as invoiced_amount
    from invoice_lines
    inner join invoices
        on invoices.company_id = invoice_lines.company_id
        and invoices.invoice_id = invoice_lines.invoice_id
    left join products
        on products.company_id = invoice_lines.company_id
        and products.product_id = invoice_lines.product_id
),

unioned as (
    select * from ordered
    union all
    select * from invoiced
),

final as (
    select
        -- keys
        company_id,
        project_code,
        period_start,
        -- amounts (hours, and net amounts as the ERP's documents state them)
        cast(sum(hours_ordered) as decimal(18, 2)) as hours_ordered,
        cast(sum(hours_invoiced) as decimal(18, 2)) as hours_invoiced,
        {{ money('sum(ordered_amount)') }} as ordered_amount,
        {{ money('sum(invoiced_amount)') }} as invoiced_amount
    from unioned
    group by company_id, project_code, period_start
)

select * from final
