{{ config(enabled=(ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))
    and (ledgerbridge_source('tryton') or ledgerbridge_source('erp_files'))) }}
-- One row per posted ERP invoice and each voucher that books it and still stands (one row
-- with no booking where none does). A booking finds its ERP invoice by the invoice's number
-- or, for a supplier invoice the books know by their own number (Fortnox's GivenNumber), by
-- the supplier's number and the supplier's invoice number, which the ERP records as the
-- invoice's reference.
with

erp_invoices as (
    select * from {{ ref('int_erp__invoices') }}
),

bookings as (
    select * from {{ ref('int_rec__invoice_bookings') }} where not is_reversed
),

-- the keys a booking can name an ERP invoice by, one per row so that the join stays an
-- equality join
erp_keys as (
    select company_id, invoice_kind, invoice_number, 'number|' || invoice_number as match_key
    from erp_invoices
    union all
    select company_id, invoice_kind, invoice_number,
        'supplier|' || party_number || '/' || supplier_invoice_number
    from erp_invoices
    where invoice_kind = 'supplier'
        and party_number is not null
        and supplier_invoice_number is not null
),

booking_keys as (
    select
        bookings.*,
        case
            when supplier_invoice_number is not null
                then 'supplier|' || supplier_number || '/' || supplier_invoice_number
            else 'number|' || invoice_number
        end as match_key
    from bookings
),

matched as (
    select distinct
        erp_keys.company_id,
        erp_keys.invoice_kind,
        erp_keys.invoice_number,
        booking_keys.voucher_id
    from erp_keys
    inner join booking_keys
        on booking_keys.company_id = erp_keys.company_id
        and booking_keys.invoice_kind = erp_keys.invoice_kind
        and booking_keys.match_key = erp_keys.match_key
),

final as (
    select
        -- keys
        erp_invoices.company_id,
        erp_invoices.invoice_kind,
        erp_invoices.invoice_number,
        bookings.voucher_id,
        row_number() over (
            partition by erp_invoices.company_id, erp_invoices.invoice_kind,
                erp_invoices.invoice_number
            order by bookings.voucher_date, bookings.voucher_id
        ) as erp_booking_number,
        -- the ERP's invoice
        erp_invoices.invoice_date,
        erp_invoices.accounting_date,
        erp_invoices.party_number,
        erp_invoices.supplier_invoice_number,
        erp_invoices.cost_centre as erp_cost_centre,
        erp_invoices.project as erp_project,
        erp_invoices.net_amount as erp_net_amount,
        erp_invoices.vat_amount as erp_vat_amount,
        erp_invoices.total_amount as erp_total_amount,
        -- its booking
        bookings.voucher_series,
        bookings.voucher_number,
        bookings.voucher_date,
        bookings.cost_centre_code as booked_cost_centre,
        bookings.project_code as booked_project,
        bookings.booked_amount,
        bookings.is_control_amount
    from erp_invoices
    left join matched
        on matched.company_id = erp_invoices.company_id
        and matched.invoice_kind = erp_invoices.invoice_kind
        and matched.invoice_number = erp_invoices.invoice_number
    left join bookings on bookings.voucher_id = matched.voucher_id
)

select * from final
