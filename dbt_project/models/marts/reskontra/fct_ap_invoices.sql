{{ config(enabled=ledgerbridge_source('fortnox') or ledgerbridge_source('tryton') or ledgerbridge_source('erp_files')) }}
-- One row per supplier invoice of the leverantörsreskontra (credit notes are rows of their
-- own), keyed by the supplier and the supplier's own invoice number (the one it is paid by);
-- document_number is the number the books know it by (Fortnox's GivenNumber, the ERP's
-- number). Amounts in SEK, signed as the invoice moves the payables account (debit
-- positive): an invoice negative, a credit note positive; paid_amount is what the payments
-- took off it in the same sign, so open_amount = gross_amount - paid_amount.
with

invoices as (
    select * from {{ ref('int_reskontra__invoice_totals') }}
    where invoice_kind = 'supplier'
),

final as (
    select
        -- keys
        company_id,
        party_number as supplier_number,
        supplier_invoice_number,
        document_number,
        -- dates
        invoice_date,
        due_date,
        final_payment_date,
        -- dimensions
        party_name as supplier_name,
        cost_centre_code,
        project_code,
        currency_code,
        ocr,
        is_credit_note,
        source_system,
        -- amounts (as on the payables account)
        {{ money('-gross_amount_currency') }} as gross_amount_currency,
        fx_rate,
        {{ money('-net_amount') }} as net_amount,
        {{ money('-vat_amount') }} as vat_amount,
        {{ money('-gross_amount') }} as gross_amount,
        payment_count,
        {{ money('-paid_amount') }} as paid_amount,
        {{ money('-open_amount') }} as open_amount
    from invoices
)

select * from final
