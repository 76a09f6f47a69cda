{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per invoice booked by more than one voucher that still stands (finding kind
-- duplicate_booking): a booking a later voucher reverses does not count. Needs the books only,
-- so it runs for every company whatever its ERP. The document is the invoice's number as the
-- books name it in its first booking (for a Fortnox supplier invoice, Fortnox's own number;
-- the details add the supplier's).
with

standing as (
    select * from {{ ref('int_rec__invoice_bookings') }} where not is_reversed
),

-- the invoices booked more than once, found first: the ordered lists below are worth
-- building for those few only, not for every invoice in the books
duplicated_invoices as (
    select company_id, invoice_kind, invoice_key
    from standing
    group by company_id, invoice_kind, invoice_key
    having count(*) > 1
),

bookings as (
    select standing.*
    from standing
    inner join duplicated_invoices
        on duplicated_invoices.company_id = standing.company_id
        and duplicated_invoices.invoice_kind = standing.invoice_kind
        and duplicated_invoices.invoice_key = standing.invoice_key
),

duplicated as (
    select
        company_id,
        invoice_kind,
        invoice_key,
        max(case when booking_number = 1 then invoice_number end) as invoice_number,
        max(supplier_number) as supplier_number,
        max(supplier_invoice_number) as supplier_invoice_number,
        count(*) as bookings,
        string_agg(
            voucher_series || ' ' || voucher_number || ' ('
            || cast(voucher_date as {{ dbt.type_string() }}) || ')',
            ', ' order by booking_number
        ) as vouchers,
        string_agg(
            case when booking_number > 1 then voucher_series || ' ' || voucher_number end,
            ', ' order by booking_number
        ) as later_vouchers
    from bookings
    group by company_id, invoice_kind, invoice_key
),

final as (
    select
        company_id,
        'duplicate_booking' as kind,
        invoice_kind || '_invoice' as document_type,
        invoice_number as document,
        'high' as severity,
        invoice_kind || ' invoice ' || invoice_number
        || case when supplier_invoice_number is not null then
            ' (supplier ' || supplier_number || ', their number ' || supplier_invoice_number
            || ')' else '' end
        || ' is booked ' || cast(bookings as {{ dbt.type_string() }}) || ' times: vouchers '
        || vouchers as details,
        'Reverse the later booking (voucher ' || later_vouchers || ') with a voucher that'
        || ' references it and negates its rows; posted vouchers cannot be deleted'
            as suggested_action
    from duplicated
)

select * from final
