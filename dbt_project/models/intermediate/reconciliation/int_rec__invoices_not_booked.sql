{{ config(enabled=(ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))
    and (ledgerbridge_source('tryton') or ledgerbridge_source('erp_files'))) }}
-- One row per posted ERP invoice that no voucher of the company's books books (finding kind
-- invoice_not_booked). Only invoices the books have reached are judged: dated within a
-- fiscal year the books hold and on or before their latest voucher (an invoice of today is
-- not yet booked because the bookkeeping is behind, not because it was forgotten).
with

erp_bookings as (
    select * from {{ ref('int_rec__erp_invoice_bookings') }}
),

fiscal_years as (
    select * from {{ ref('int_ledger__fiscal_years') }}
),

books_reach as (
    select company_id, max(voucher_date) as latest_voucher_date
    from {{ ref('int_ledger__vouchers') }}
    group by company_id
),

unbooked as (
    select erp_bookings.*
    from erp_bookings
    inner join fiscal_years
        on fiscal_years.company_id = erp_bookings.company_id
        and coalesce(erp_bookings.accounting_date, erp_bookings.invoice_date)
            between fiscal_years.fiscal_year_start and fiscal_years.fiscal_year_end
    inner join books_reach
        on books_reach.company_id = erp_bookings.company_id
        and coalesce(erp_bookings.accounting_date, erp_bookings.invoice_date)
            <= books_reach.latest_voucher_date
    where erp_bookings.voucher_id is null
),

final as (
    select
        company_id,
        'invoice_not_booked' as kind,
        invoice_kind || '_invoice' as document_type,
        invoice_number as document,
        'high' as severity,
        invoice_kind || ' invoice ' || invoice_number || ' of '
        || cast(erp_total_amount as {{ dbt.type_string() }}) || ' dated '
        || cast(invoice_date as {{ dbt.type_string() }})
        || case invoice_kind when 'customer' then ' to customer ' else ' from supplier ' end
        || coalesce(party_number, '?')
        || ' is posted in the ERP but no voucher in the accounting system books it'
            as details,
        'Book ' || invoice_kind || ' invoice ' || invoice_number
        || ' in the accounting system, or find out why it was left out (a cancelled invoice'
        || ' should be credited in the ERP)' as suggested_action
    from unbooked
)

select * from final
