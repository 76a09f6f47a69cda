{{ config(enabled=ledgerbridge_source('tryton') or ledgerbridge_source('erp_files')) }}
-- One row per posted customer or supplier invoice of the ERP (Tryton, or an ERP export in
-- JSON Lines), in the reskontra's shape: the ERP's invoice number (for a supplier invoice also
-- the supplier's own number), due date and OCR where the ERP states them (Tryton's landed
-- invoices carry neither: its payment terms are not read), amounts in the invoice's
-- direction (a credit note negative). How each ERP's invoices look is int_erp__invoices'
-- business; this only renames.
with

erp_invoices as (
    select * from {{ ref('int_erp__invoices') }}
),

final as (
    select
        -- keys
        company_id,
        invoice_kind,
        invoice_number,
        supplier_invoice_number,
        party_number,
        -- dates
        invoice_date,
        due_date,
        -- dimensions
        cost_centre as cost_centre_code,
        project as project_code,
        currency_code,
        ocr,
        -- amounts, in the invoice's direction
        net_amount,
        vat_amount,
        total_amount,
        -- lineage
        source_system
    from erp_invoices
)

select * from final
