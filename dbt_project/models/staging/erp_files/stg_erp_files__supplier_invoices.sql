{{ config(enabled=ledgerbridge_source('erp_files')) }}
-- One row per supplier invoice of an ERP export, by the ERP's own number; the supplier's
-- invoice number and OCR as the supplier wrote them. A credit note has negative amounts.
with

source as (
    select * from {{ source('raw_erp_files', 'supplier_invoices') }}
),

final as (
    select
        -- keys
        company_id,
        number as invoice_number,
        supplier_number,
        supplier_invoice_number,
        -- dates
        invoice_date,
        due_date,
        -- dimensions
        cost_centre as cost_centre_code,
        project as project_code,
        currency,
        ocr,
        -- amounts, in the invoice's currency
        {{ money('net_amount') }} as net_amount,
        {{ money('vat_amount') }} as vat_amount,
        {{ money('total_amount') }} as total_amount,
        -- lineage
        purchase_order_number
    from source
)

select * from final
