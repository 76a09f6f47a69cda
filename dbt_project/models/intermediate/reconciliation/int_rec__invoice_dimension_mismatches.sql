{{ config(enabled=(ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))
    and ledgerbridge_source('tryton')) }}
-- One row per ERP invoice booked on another cost centre or project than the ERP's (finding
-- kind dimension_mismatch). Both sides state the dimension carrying most of the invoice's
-- amount (int_erp__invoices, int_rec__invoice_bookings); a dimension one side has and the
-- other lacks is a difference too. The invoice's first booking is compared.
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
        erp_invoices.cost_centre as erp_cost_centre,
        erp_invoices.project as erp_project,
        bookings.cost_centre_code as booked_cost_centre,
        bookings.project_code as booked_project,
        bookings.voucher_series,
        bookings.voucher_number,
        erp_invoices.cost_centre is distinct from bookings.cost_centre_code
            as cost_centre_differs,
        erp_invoices.project is distinct from bookings.project_code as project_differs
    from erp_invoices
    inner join bookings
        on bookings.company_id = erp_invoices.company_id
        and bookings.invoice_kind = erp_invoices.invoice_kind
        and bookings.invoice_number = erp_invoices.invoice_number
),

final as (
    select
        company_id,
        'dimension_mismatch' as kind,
        invoice_number as document,
        'medium' as severity,
        invoice_kind || ' invoice ' || invoice_number || ' (voucher ' || voucher_series || ' '
        || voucher_number || ') is booked on '
        || case when cost_centre_differs then
            'cost centre ' || coalesce(booked_cost_centre, 'none') || ' (the ERP says '
            || coalesce(erp_cost_centre, 'none') || ')'
            else '' end
        || case when cost_centre_differs and project_differs then ' and ' else '' end
        || case when project_differs then
            'project ' || coalesce(booked_project, 'none') || ' (the ERP says '
            || coalesce(erp_project, 'none') || ')'
            else '' end as details,
        'Move the amounts to '
        || case when cost_centre_differs then
            'cost centre ' || coalesce(erp_cost_centre, 'none') else '' end
        || case when cost_centre_differs and project_differs then ' and ' else '' end
        || case when project_differs then 'project ' || coalesce(erp_project, 'none') else '' end
        || ' with a correcting voucher, or correct the ERP invoice if the booking is right'
            as suggested_action
    from compared
    where cost_centre_differs or project_differs
)

select * from final
