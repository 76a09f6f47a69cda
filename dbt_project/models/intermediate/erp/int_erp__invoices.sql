{{ config(enabled=ledgerbridge_source('tryton')) }}
-- The ERP's posted customer and supplier invoices, one row per invoice, with the cost centre
-- and project that carry most of its net amount (the SIE dimensions 1 and 6).
with

invoices as (
    select * from {{ ref('stg_tryton__invoices') }} where state in ('posted', 'paid')
),

lines as (
    select * from {{ ref('stg_tryton__invoice_lines') }}
),

dimension_amounts as (
    select
        company_id,
        invoice_id,
        {{ arg_max('cost_centre', 'abs(net_amount)', where='cost_centre is not null') }}
            as cost_centre,
        {{ arg_max('project', 'abs(net_amount)', where='project is not null') }} as project
    from lines
    group by company_id, invoice_id
),

final as (
    select
        invoices.company_id,
        'tryton' as source_system,
        invoices.invoice_kind,
        invoices.invoice_number,
        case when invoices.invoice_kind = 'supplier' then invoices.reference end
            as supplier_invoice_number,
        invoices.invoice_date,
        invoices.accounting_date,
        parties.party_code as party_number,
        dimension_amounts.cost_centre,
        dimension_amounts.project,
        invoices.net_amount,
        invoices.vat_amount,
        invoices.total_amount,
        invoices.amount_to_pay,
        invoices.state = 'paid' as is_paid,
        invoices.invoice_id as source_id
    from invoices
    left join {{ ref('stg_tryton__parties') }} as parties
        on parties.company_id = invoices.company_id and parties.party_id = invoices.party_id
    left join dimension_amounts
        on dimension_amounts.company_id = invoices.company_id
        and dimension_amounts.invoice_id = invoices.invoice_id
)

select * from final
