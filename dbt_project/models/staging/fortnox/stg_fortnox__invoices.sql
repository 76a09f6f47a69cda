{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per customer invoice (kundfaktura); a credit note has a negative total.
with

source as (
    select * from {{ source('raw_fortnox', 'invoices') }}
),

final as (
    select
        -- keys
        company_id,
        document_number,
        customer_number,
        -- dates
        invoice_date,
        due_date,
        final_pay_date,
        -- amounts, in the invoice's currency
        {{ money('total') }} as total_amount,
        {{ money('balance') }} as open_amount,
        currency,
        currency_rate,
        -- state
        coalesce(booked, false) as is_booked,
        coalesce(cancelled, false) as is_cancelled,
        coalesce(sent, false) as is_sent,
        invoice_type,
        -- attributes
        customer_name,
        ocr,
        terms_of_payment,
        cost_center as cost_centre_code,
        project as project_code,
        voucher_series,
        voucher_number,
        voucher_year,
        fetched_at
    from source
)

select * from final
