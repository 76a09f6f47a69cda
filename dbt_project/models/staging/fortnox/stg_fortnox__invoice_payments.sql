{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per payment of a customer invoice (inbetalning).
with

source as (
    select * from {{ source('raw_fortnox', 'invoice_payments') }}
),

final as (
    select
        company_id,
        number as payment_number,
        invoice_number as document_number,
        payment_date,
        {{ money('amount') }} as amount,
        currency,
        coalesce(booked, false) as is_booked,
        source as payment_source,
        fetched_at
    from source
)

select * from final
