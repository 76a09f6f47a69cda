{{ config(enabled=ledgerbridge_source('erp_files')) }}
-- One row per supplier payment (utbetalning) of an ERP export, against one invoice (the
-- ERP's invoice number).
with

source as (
    select * from {{ source('raw_erp_files', 'supplier_payments') }}
),

final as (
    select
        -- keys
        company_id,
        number as payment_number,
        invoice_number,
        supplier_number,
        -- dates
        payment_date,
        -- amounts
        {{ money('amount') }} as amount
    from source
)

select * from final
