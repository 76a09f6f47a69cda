{{ config(enabled=ledgerbridge_source('einvoice')) }}
-- One row per VAT category and rate of an e-invoice, signed as its document.
with

vat as (
    select * from {{ source('raw_einvoice', 'vat_breakdown') }}
),

final as (
    select
        company_id,
        seller_key,
        document_type,
        document_id,
        subtotal_index,
        vat_category,
        vat_percent,
        {{ signed_by_document('taxable_amount') }} as taxable_amount,
        {{ signed_by_document('tax_amount') }}
            as vat_amount
    from vat
)

select * from final
