{{ config(enabled=ledgerbridge_source('einvoice')) }}
-- One row per e-invoice or credit note, amounts signed: a credit note's are negative.
with

documents as (
    select * from {{ source('raw_einvoice', 'documents') }}
),

final as (
    select
        company_id,
        seller_key,
        document_type,
        document_id,
        direction,
        case when document_type = 'credit_note' then -1 else 1 end as sign,
        issue_date,
        due_date,
        currency,
        seller_name,
        seller_legal_id,
        seller_vat_id,
        seller_country,
        buyer_name,
        buyer_legal_id,
        buyer_vat_id,
        buyer_reference,
        order_reference,
        accounting_cost,
        payment_id as payment_reference,
        payee_account,
        {{ signed_by_document('tax_exclusive_amount') }} as net_amount,
        {{ signed_by_document('tax_amount') }} as vat_amount,
        {{ signed_by_document('payable_amount') }} as payable_amount,
        lines as line_count,
        file_sha256
    from documents
)

select * from final
