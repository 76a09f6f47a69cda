{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per voucher row of a correction voucher that the reverse ETL plans for a finding
-- that a voucher corrects. Only findings still standing are here: once the correction is
-- booked and read back, its finding and its rows are gone.
--
-- duplicate_booking: each later booking of the invoice (booking_number > 1 among those still
-- standing) reversed row by row: same account and dimensions, amount negated, in the series
-- of the voucher it reverses. The text starts with the invoice as the books name it
-- ("Kundfaktura 10091 …"), so that int_rec__invoice_bookings pairs the reversal with the
-- booking it cancels, and names that voucher (Swedish bookkeeping law: a correction refers to
-- what it corrects). The voucher's date is the reverse ETL's to choose when it plans.
with

findings as (
    select * from {{ ref('rec_findings') }}
    where kind = 'duplicate_booking'
),

bookings as (
    select * from {{ ref('int_rec__invoice_bookings') }}
    where not is_reversed
),

voucher_rows as (
    select * from {{ ref('int_ledger__voucher_rows') }}
),

first_bookings as (
    -- the finding names the invoice as its first booking does
    select company_id, invoice_kind, invoice_key, invoice_number as document
    from bookings
    where booking_number = 1
),

later_bookings as (
    select bookings.*, first_bookings.document
    from bookings
    inner join first_bookings
        on first_bookings.company_id = bookings.company_id
        and first_bookings.invoice_kind = bookings.invoice_kind
        and first_bookings.invoice_key = bookings.invoice_key
    where bookings.booking_number > 1
),

final as (
    select
        -- keys
        findings.finding_id,
        later_bookings.company_id,
        later_bookings.voucher_id as corrects_voucher_id,
        voucher_rows.row_number,
        -- dates
        later_bookings.voucher_date as corrects_voucher_date,
        -- descriptions
        findings.kind,
        later_bookings.voucher_series,
        case later_bookings.invoice_kind
            when 'customer' then 'Kundfaktura ' else 'Leverantörsfaktura '
        end || later_bookings.invoice_number || ' rättelse: vänder dubbelbokning '
        || later_bookings.voucher_series || ' ' || later_bookings.voucher_number
            as voucher_text,
        -- dimensions
        voucher_rows.account_number,
        voucher_rows.cost_centre_code,
        voucher_rows.project_code,
        -- amounts (debit positive)
        {{ money('-voucher_rows.amount') }} as amount
    from later_bookings
    inner join findings
        on findings.company_id = later_bookings.company_id
        and findings.document_type = later_bookings.invoice_kind || '_invoice'
        and findings.document = later_bookings.document
    inner join voucher_rows
        on voucher_rows.voucher_id = later_bookings.voucher_id
)

select * from final
