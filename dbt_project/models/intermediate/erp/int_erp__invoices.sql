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

-- the cost centre and the project carrying most of the net amount, summed over the lines
-- that carry it (as the books sum their rows); ties go to the lowest code
cost_centre_ranked as (
    select
        company_id,
        invoice_id,
        cost_centre,
        row_number() over (
            partition by company_id, invoice_id order by sum(abs(net_amount)) desc, cost_centre
        ) as dimension_rank
    from lines
    where cost_centre is not null
    group by company_id, invoice_id, cost_centre
),

project_ranked as (
    select
        company_id,
        invoice_id,
        project,
        row_number() over (
            partition by company_id, invoice_id order by sum(abs(net_amount)) desc, project
        ) as dimension_rank
    from lines
    where project is not null
    group by company_id, invoice_id, project
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
        cost_centre_ranked.cost_centre,
        project_ranked.project,
        invoices.net_amount,
        invoices.vat_amount,
        invoices.total_amount,
        invoices.amount_to_pay,
        invoices.state = 'paid' as is_paid,
        invoices.invoice_id as source_id
    from invoices
    left join {{ ref('stg_tryton__parties') }} as parties
        on parties.company_id = invoices.company_id and parties.party_id = invoices.party_id
    left join cost_centre_ranked
        on cost_centre_ranked.company_id = invoices.company_id
        and cost_centre_ranked.invoice_id = invoices.invoice_id
        and cost_centre_ranked.dimension_rank = 1
    left join project_ranked
        on project_ranked.company_id = invoices.company_id
        and project_ranked.invoice_id = invoices.invoice_id
        and project_ranked.dimension_rank = 1
)

select * from final
