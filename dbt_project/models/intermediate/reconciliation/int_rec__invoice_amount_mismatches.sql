{{ config(enabled=(ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))
    and ledgerbridge_source('tryton')) }}
-- One row per ERP invoice booked at another gross amount than the ERP's (finding kind
-- amount_mismatch), compared exactly, öre for öre: both are decimal(18,2) amounts of one
-- document, and any difference is money missing from (or too much in) the books. The
-- invoice's first booking is compared; further bookings are duplicate_booking findings.
with

erp_invoices as (
    select * from {{ ref('int_erp__invoices') }}
),

bookings as (
    select * from {{ ref('int_rec__invoice_bookings') }}
    where not is_reversed and booking_number = 1
),

compared as (
    select
        erp_invoices.company_id,
        erp_invoices.invoice_kind,
        erp_invoices.invoice_number,
        abs(erp_invoices.total_amount) as erp_amount,
        bookings.booked_amount,
        bookings.voucher_series,
        bookings.voucher_number,
        bookings.voucher_date
    from erp_invoices
    inner join bookings
        on bookings.company_id = erp_invoices.company_id
        and bookings.invoice_kind = erp_invoices.invoice_kind
        and bookings.invoice_number = erp_invoices.invoice_number
    where bookings.booked_amount <> abs(erp_invoices.total_amount)
),

final as (
    select
        company_id,
        'amount_mismatch' as kind,
        invoice_number as document,
        'high' as severity,
        invoice_kind || ' invoice ' || invoice_number || ' is booked at '
        || cast(booked_amount as {{ dbt.type_string() }}) || ' (voucher ' || voucher_series
        || ' ' || voucher_number || ', ' || cast(voucher_date as {{ dbt.type_string() }})
        || '); the ERP invoice is ' || cast(erp_amount as {{ dbt.type_string() }})
        || ' (difference ' || cast(erp_amount - booked_amount as {{ dbt.type_string() }})
        || ')' as details,
        'Reverse voucher ' || voucher_series || ' ' || voucher_number
        || ' and book the invoice again at ' || cast(erp_amount as {{ dbt.type_string() }})
        || ', or correct the ERP invoice if the booking is right' as suggested_action
    from compared
)

select * from final
