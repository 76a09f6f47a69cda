{{ config(enabled=ledgerbridge_source('erp_files')) }}
-- One row per line of a customer or supplier invoice of an ERP export: what it sells or
-- buys, its net amount and VAT (rate and amount), and the account and dimensions the ERP
-- books it on where the export states them. Amounts in the invoice's direction (a credit
-- note's negative), as the invoices'.
with

lines as (
    select 'customer' as invoice_kind, *
    from {{ source('raw_erp_files', 'customer_invoice_lines') }}
    union all
    select 'supplier' as invoice_kind, *
    from {{ source('raw_erp_files', 'supplier_invoice_lines') }}
),

final as (
    select
        -- keys
        company_id,
        invoice_kind,
        invoice_number,
        line_no,
        -- what
        article_number,
        description,
        quantity,
        unit_price,
        -- dimensions
        account as account_number,
        cost_centre as cost_centre_code,
        project as project_code,
        -- amounts
        vat_rate,
        {{ money('net_amount') }} as net_amount,
        {{ money('vat_amount') }} as vat_amount
    from lines
)

select * from final
