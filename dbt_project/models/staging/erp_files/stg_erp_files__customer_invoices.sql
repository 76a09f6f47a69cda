{{ config(enabled=ledgerbridge_source('erp_files')) }}
-- One row per customer invoice of an ERP export; a credit note has negative amounts.
with

source as (
    select * from {{ source('raw_erp_files', 'customer_invoices') }}
),

final as (
    select
        -- keys
        company_id,
        number as invoice_number,
        customer_number,
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
        sales_order_number
    from source
)

select * from final
