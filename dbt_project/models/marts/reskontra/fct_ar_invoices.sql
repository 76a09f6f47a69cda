{{ config(enabled=ledgerbridge_source('fortnox') or ledgerbridge_source('tryton') or ledgerbridge_source('erp_files')) }}
-- One row per customer invoice of the kundreskontra (credit notes are rows of their own), with
-- payments to date and the open balance. Amounts in SEK, signed as the invoice moves the
-- receivables account (debit positive): an invoice positive, a credit note negative;
-- paid_amount is what the payments took off it, so open_amount = gross_amount - paid_amount.
-- Source: the accounting system's invoice register (Fortnox), or the ERP's invoices for a
-- company whose books are SIE files (int_reskontra__invoices).
with

invoices as (
    select * from {{ ref('int_reskontra__invoice_totals') }}
    where invoice_kind = 'customer'
),

final as (
    select
        -- keys
        company_id,
        document_number as invoice_number,
        party_number as customer_number,
        -- dates
        invoice_date,
        due_date,
        final_payment_date,
        -- dimensions
        party_name as customer_name,
        cost_centre_code,
        project_code,
        currency_code,
        ocr,
        is_credit_note,
        source_system,
        -- amounts
        gross_amount_currency,
        fx_rate,
        net_amount,
        vat_amount,
        gross_amount,
        payment_count,
        paid_amount,
        open_amount
    from invoices
)

select * from final
