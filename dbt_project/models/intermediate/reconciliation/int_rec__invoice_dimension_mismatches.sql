{{ config(enabled=(ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))
    and (ledgerbridge_source('tryton') or ledgerbridge_source('erp_files'))) }}
-- One row per ERP invoice booked on another cost centre or project than the ERP's (finding
-- kind dimension_mismatch). Both sides state the dimension carrying most of the invoice's
-- amount, summed per dimension (int_erp__invoices, int_rec__invoice_bookings); a dimension
-- one side has and the other lacks is a difference too. The invoice's first booking is
-- compared.
with

compared as (
    select
        *,
        erp_cost_centre is distinct from booked_cost_centre as cost_centre_differs,
        erp_project is distinct from booked_project as project_differs
    from {{ ref('int_rec__erp_invoice_bookings') }}
    where erp_booking_number = 1 and voucher_id is not null
),

final as (
    select
        company_id,
        'dimension_mismatch' as kind,
        invoice_kind || '_invoice' as document_type,
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
