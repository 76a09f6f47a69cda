{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per supplier invoice (leverantörsfaktura), by Fortnox's given number.
with

source as (
    select * from {{ source('raw_fortnox', 'supplier_invoices') }}
),

final as (
    select
        -- keys
        company_id,
        given_number,
        supplier_number,
        invoice_number as supplier_invoice_number,
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
        coalesce(credit, false) as is_credit,
        -- attributes
        supplier_name,
        cost_center as cost_centre_code,
        project as project_code,
        fetched_at
    from source
)

select * from final
