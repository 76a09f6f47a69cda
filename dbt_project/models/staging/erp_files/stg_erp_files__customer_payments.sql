{{ config(enabled=ledgerbridge_source('erp_files')) }}
-- One row per customer payment (inbetalning) of an ERP export, against one invoice.
with

source as (
    select * from {{ source('raw_erp_files', 'customer_payments') }}
),

final as (
    select
        -- keys
        company_id,
        number as payment_number,
        invoice_number,
        customer_number,
        -- dates
        payment_date,
        -- amounts
        {{ money('amount') }} as amount,
        -- attributes
        reference
    from source
)

select * from final
