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
        {{ money("taxable_amount * case when document_type = 'credit_note' then -1 else 1 end") }}
            as taxable_amount,
        {{ money("tax_amount * case when document_type = 'credit_note' then -1 else 1 end") }}
            as vat_amount
    from vat
)

select * from final
