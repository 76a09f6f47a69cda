{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per payment of a supplier invoice (utbetalning).
with

source as (
    select * from {{ source('raw_fortnox', 'supplier_invoice_payments') }}
),

final as (
    select
        company_id,
        number as payment_number,
        invoice_number as given_number,
        payment_date,
        {{ money('amount') }} as amount,
        currency,
        coalesce(booked, false) as is_booked,
        source as payment_source,
        fetched_at
    from source
)

select * from final
