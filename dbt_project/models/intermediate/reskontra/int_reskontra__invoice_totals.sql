{%- set fortnox = ledgerbridge_source('fortnox') -%}
{%- set erp = ledgerbridge_source('tryton') or ledgerbridge_source('erp_files') -%}
{{ config(enabled=fortnox or erp) }}
-- One row per invoice of the reskontra with its payments to date (every payment landed), open
-- balance and the date of the payment that settled it, amounts in the invoice's direction.
with

invoices as (
    select * from {{ ref('int_reskontra__invoices') }}
),

payments as (
    select * from {{ ref('int_reskontra__payments') }}
),

paid as (
    select
        company_id,
        invoice_kind,
        document_number,
        count(*) as payment_count,
        max(payment_date) as last_payment_date,
        sum(amount) as paid_amount
    from payments
    group by company_id, invoice_kind, document_number
),

final as (
    select
        -- keys
        invoices.company_id,
        invoices.invoice_kind,
        invoices.document_number,
        invoices.supplier_invoice_number,
        invoices.party_number,
        -- dates
        invoices.invoice_date,
        invoices.due_date,
        -- the day the last payment left nothing open
        case
            when invoices.gross_amount - coalesce(paid.paid_amount, 0) = 0
                and paid.payment_count > 0
                then paid.last_payment_date
        end as final_payment_date,
        -- dimensions
        invoices.cost_centre_code,
        invoices.project_code,
        invoices.currency_code,
        invoices.ocr,
        invoices.party_name,
        invoices.gross_amount < 0 as is_credit_note,
        -- amounts (SEK unless named _currency), in the invoice's direction
        invoices.gross_amount_currency,
        invoices.fx_rate,
        invoices.net_amount,
        invoices.vat_amount,
        invoices.gross_amount,
        cast(coalesce(paid.payment_count, 0) as integer) as payment_count,
        {{ money('coalesce(paid.paid_amount, 0)') }} as paid_amount,
        {{ money('invoices.gross_amount - coalesce(paid.paid_amount, 0)') }} as open_amount,
        -- lineage
        invoices.source_system
    from invoices
    left join paid
        on paid.company_id = invoices.company_id
        and paid.invoice_kind = invoices.invoice_kind
        and paid.document_number = invoices.document_number
)

select * from final
