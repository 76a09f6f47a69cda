{{ config(enabled=ledgerbridge_source('einvoice')) }}
-- One row per e-invoice line, net amount signed as its document (a credit note's negative).
with

lines as (
    select * from {{ source('raw_einvoice', 'lines') }}
),

final as (
    select
        company_id,
        seller_key,
        document_type,
        document_id,
        line_index,
        line_id,
        item_name,
        seller_item_id,
        quantity,
        unit_code,
        price,
        {{ signed_by_document('amount') }} as net_amount,
        vat_category,
        vat_percent,
        accounting_cost,
        order_line_reference
    from lines
)

select * from final
