{%- set tryton = ledgerbridge_source('tryton') -%}
{%- set erp_files = ledgerbridge_source('erp_files') -%}
{{ config(enabled=tryton or erp_files) }}
-- One row per posted customer or supplier invoice of the ERP (Tryton, or an ERP export in
-- JSON Lines), in one shape: the ERP's invoice number (for a supplier invoice also the
-- supplier's own number), due date and OCR where the ERP states them (Tryton's landed
-- invoices carry neither: its payment terms are not read), amounts in the invoice's
-- direction (a credit note negative).
with

{% if tryton -%}
tryton_invoices as (
    select
        company_id,
        invoice_kind,
        invoice_number,
        supplier_invoice_number,
        party_number,
        invoice_date,
        cast(null as date) as due_date,
        -- Tryton does not keep an OCR number; its customer invoices are paid to their number
        cast(null as {{ dbt.type_string() }}) as ocr,
        -- the company's currency: Tryton's amounts as landed are in it
        'SEK' as currency_code,
        cost_centre as cost_centre_code,
        project as project_code,
        net_amount,
        vat_amount,
        total_amount,
        'tryton' as source_system
    from {{ ref('int_erp__invoices') }}
),
{%- endif %}

{% if erp_files -%}
file_customer_invoices as (
    select
        company_id,
        'customer' as invoice_kind,
        invoice_number,
        cast(null as {{ dbt.type_string() }}) as supplier_invoice_number,
        customer_number as party_number,
        invoice_date,
        due_date,
        ocr,
        currency as currency_code,
        cost_centre_code,
        project_code,
        net_amount,
        vat_amount,
        total_amount,
        'erp_files' as source_system
    from {{ ref('stg_erp_files__customer_invoices') }}
),

file_supplier_invoices as (
    select
        company_id,
        'supplier' as invoice_kind,
        invoice_number,
        supplier_invoice_number,
        supplier_number as party_number,
        invoice_date,
        due_date,
        ocr,
        currency as currency_code,
        cost_centre_code,
        project_code,
        net_amount,
        vat_amount,
        total_amount,
        'erp_files' as source_system
    from {{ ref('stg_erp_files__supplier_invoices') }}
),
{%- endif %}

unioned as (
    {% if tryton %}select * from tryton_invoices{% endif %}
    {% if tryton and erp_files %}union all{% endif %}
    {% if erp_files -%}
    select * from file_customer_invoices
    union all
    select * from file_supplier_invoices
    {%- endif %}
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
        cost_centre_code,
        project_code,
        currency_code,
        ocr,
        -- amounts, in the invoice's direction
        {{ money('net_amount') }} as net_amount,
        {{ money('vat_amount') }} as vat_amount,
        {{ money('total_amount') }} as total_amount,
        -- lineage
        source_system
    from unioned
)

select * from final
