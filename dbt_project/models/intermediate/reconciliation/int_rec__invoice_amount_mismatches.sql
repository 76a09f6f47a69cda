{{ config(enabled=(ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))
    and (ledgerbridge_source('tryton') or ledgerbridge_source('erp_files'))) }}
-- One row per ERP invoice booked at another gross amount than the ERP's (finding kind
-- amount_mismatch), compared exactly, öre for öre: both are decimal(18,2) amounts of one
-- document, and any difference is money missing from (or too much in) the books. The
-- invoice's first booking is compared; further bookings are duplicate_booking findings. Where
-- the booking's amount is read from the control account it is signed like the invoice, so a
-- credit note booked as an invoice is a mismatch too.
with

compared as (
    select
        company_id,
        invoice_kind,
        invoice_number,
        case when is_control_amount then erp_total_amount else abs(erp_total_amount) end
            as erp_amount,
        booked_amount,
        voucher_series,
        voucher_number,
        voucher_date
    from {{ ref('int_rec__erp_invoice_bookings') }}
    where erp_booking_number = 1
        and voucher_id is not null
        and booked_amount
            <> case when is_control_amount then erp_total_amount else abs(erp_total_amount) end
),

final as (
    select
        company_id,
        'amount_mismatch' as kind,
        invoice_kind || '_invoice' as document_type,
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
