{%- set fortnox = ledgerbridge_source('fortnox') -%}
{%- set erp = ledgerbridge_source('tryton') or ledgerbridge_source('erp_files') -%}
{{ config(enabled=(fortnox or erp) and (ledgerbridge_source('sie') or fortnox)) }}
-- One row per fiscal period end and invoice open at the end of that day: dated on or before
-- it, and not settled by the payments dated on or before it (a payment after the period end
-- leaves the invoice open as of it). Amounts in the invoice's direction. Aging as of the period
-- end, never as of today: days_overdue = period end - due date; 'not_due' when the due date is
-- the period end or later (an invoice is overdue from the day after its due date), then
-- '1-30', '31-60', '61-90', '>90' days overdue; 'no_due_date' where the source states none.
-- Period ends up to the month of the reskontra's latest invoice or payment.
with

invoices as (
    select * from {{ ref('int_reskontra__invoice_totals') }}
),

payments as (
    select * from {{ ref('int_reskontra__payments') }}
),

periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

reach as (
    select company_id, max(reached) as reached
    from (
        select company_id, max(invoice_date) as reached from invoices group by company_id
        union all
        select company_id, max(payment_date) as reached from payments group by company_id
    ) as dates
    group by company_id
),

period_ends as (
    select
        periods.company_id,
        periods.fiscal_year_start,
        periods.period_start,
        periods.period_end
    from periods
    inner join reach
        on reach.company_id = periods.company_id
        and periods.period_start <= reach.reached
),

-- each invoice at the period ends from its date until the one on or after its final payment,
-- with what the output needs of it: joining the invoices back at the end cost as much again
candidates as (
    select
        period_ends.company_id,
        period_ends.fiscal_year_start,
        period_ends.period_start,
        period_ends.period_end,
        invoices.invoice_kind,
        invoices.document_number,
        invoices.supplier_invoice_number,
        invoices.party_number,
        invoices.invoice_date,
        invoices.due_date,
        invoices.final_payment_date,
        invoices.payment_count,
        invoices.cost_centre_code,
        invoices.project_code,
        invoices.currency_code,
        invoices.gross_amount
    from invoices
    inner join period_ends
        on period_ends.company_id = invoices.company_id
        and period_ends.period_end >= invoices.invoice_date
        and (invoices.final_payment_date is null
            or invoices.final_payment_date > period_ends.period_end)
),

-- the candidates that can have been paid something by the period end: not an invoice without
-- payments, nor one settled by its only payment (on final_payment_date, after the period end).
-- Most invoices are one or the other, and matching every candidate to the payments was the
-- model's largest cost. An unknown payment_count keeps the invoice.
partly_paid as (
    select * from candidates
    where candidates.payment_count is distinct from 0
        and (candidates.final_payment_date is null
            or candidates.payment_count is distinct from 1)
),

paid_to_date as (
    select
        partly_paid.company_id,
        partly_paid.period_end,
        partly_paid.invoice_kind,
        partly_paid.document_number,
        sum(payments.amount) as paid_amount
    from partly_paid
    inner join payments
        on payments.company_id = partly_paid.company_id
        and payments.invoice_kind = partly_paid.invoice_kind
        and payments.document_number = partly_paid.document_number
        and payments.payment_date <= partly_paid.period_end
    group by 1, 2, 3, 4
),

open_items as (
    select
        candidates.*,
        coalesce(paid_to_date.paid_amount, 0) as paid_amount,
        candidates.gross_amount - coalesce(paid_to_date.paid_amount, 0) as open_amount
    from candidates
    left join paid_to_date
        on paid_to_date.company_id = candidates.company_id
        and paid_to_date.period_end = candidates.period_end
        and paid_to_date.invoice_kind = candidates.invoice_kind
        and paid_to_date.document_number = candidates.document_number
),

aged as (
    select
        open_items.*,
        cast({{ dbt.datediff('open_items.due_date', 'open_items.period_end', 'day') }} as integer)
            as days_overdue
    from open_items
    where open_items.open_amount <> 0
),

final as (
    select
        -- keys
        company_id,
        period_end,
        invoice_kind,
        document_number,
        supplier_invoice_number,
        party_number,
        -- dates
        fiscal_year_start,
        period_start,
        invoice_date,
        due_date,
        -- dimensions
        cost_centre_code,
        project_code,
        currency_code,
        days_overdue,
        case
            when due_date is null then 'no_due_date'
            when days_overdue <= 0 then 'not_due'
            when days_overdue <= 30 then '1-30'
            when days_overdue <= 60 then '31-60'
            when days_overdue <= 90 then '61-90'
            else '>90'
        end as aging_bucket,
        -- amounts (SEK), in the invoice's direction
        {{ money('gross_amount') }} as gross_amount,
        {{ money('paid_amount') }} as paid_amount,
        {{ money('open_amount') }} as open_amount
    from aged
)

select * from final
