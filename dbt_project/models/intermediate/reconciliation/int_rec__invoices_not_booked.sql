{{ config(enabled=(ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))
    and ledgerbridge_source('tryton')) }}
-- One row per posted ERP invoice that no voucher of the company's books books (finding kind
-- invoice_not_booked). Only invoices dated within a fiscal year the books hold are judged:
-- of a year the warehouse has no books for, nothing can be said.
with

erp_invoices as (
    select * from {{ ref('int_erp__invoices') }}
),

fiscal_years as (
    select * from {{ ref('int_ledger__fiscal_years') }}
),

bookings as (
    select * from {{ ref('int_rec__invoice_bookings') }} where not is_reversed
),

unbooked as (
    select erp_invoices.*
    from erp_invoices
    inner join fiscal_years
        on fiscal_years.company_id = erp_invoices.company_id
        and coalesce(erp_invoices.accounting_date, erp_invoices.invoice_date)
            between fiscal_years.fiscal_year_start and fiscal_years.fiscal_year_end
    where not exists (
        select 1
        from bookings
        where bookings.company_id = erp_invoices.company_id
            and bookings.invoice_kind = erp_invoices.invoice_kind
            and bookings.invoice_number = erp_invoices.invoice_number
    )
),

final as (
    select
        company_id,
        'invoice_not_booked' as kind,
        invoice_number as document,
        'high' as severity,
        invoice_kind || ' invoice ' || invoice_number || ' of '
        || cast(total_amount as {{ dbt.type_string() }}) || ' dated '
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
