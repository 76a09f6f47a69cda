{%- set tryton = ledgerbridge_source('tryton') -%}
{%- set erp_files = ledgerbridge_source('erp_files') -%}
{{ config(enabled=tryton or erp_files) }}
-- One row per posted customer or supplier invoice of the ERP, whichever it is (Tryton, or an
-- ERP export in JSON Lines), with the cost centre and project that carry most of its net
-- amount (the SIE dimensions 1 and 6), amounts in the invoice's direction (a credit note
-- negative). The one model that knows how each ERP's invoices look: the reconciliation and
-- the reskontra read this.
with

{% if tryton -%}
tryton_posted as (
    select * from {{ ref('stg_tryton__invoices') }} where state in ('posted', 'paid')
),

tryton_lines as (
    select * from {{ ref('stg_tryton__invoice_lines') }}
),

-- the cost centre and the project carrying most of the net amount, summed over the lines
-- that carry it (as the books sum their rows); ties go to the lowest code
tryton_cost_centre_ranked as (
    select
        company_id,
        invoice_id,
        cost_centre,
        row_number() over (
            partition by company_id, invoice_id order by sum(abs(net_amount)) desc, cost_centre
        ) as dimension_rank
    from tryton_lines
    where cost_centre is not null
    group by company_id, invoice_id, cost_centre
),

tryton_project_ranked as (
    select
        company_id,
        invoice_id,
        project,
        row_number() over (
            partition by company_id, invoice_id order by sum(abs(net_amount)) desc, project
        ) as dimension_rank
    from tryton_lines
    where project is not null
    group by company_id, invoice_id, project
),

tryton_invoices as (
    select
        invoices.company_id,
        'tryton' as source_system,
        invoices.invoice_kind,
        invoices.invoice_number,
        -- the supplier's own number, which Tryton keeps as the invoice's reference
        case when invoices.invoice_kind = 'supplier' then invoices.reference end
            as supplier_invoice_number,
        invoices.invoice_date,
        invoices.accounting_date,
        -- Tryton's payment terms are not read
        cast(null as date) as due_date,
        parties.party_code as party_number,
        cost_centre_ranked.cost_centre,
        project_ranked.project,
        -- the company's currency: Tryton's amounts as landed are in it
        'SEK' as currency_code,
        -- Tryton keeps no OCR number; its customer invoices are paid to their number
        cast(null as {{ dbt.type_string() }}) as ocr,
        invoices.net_amount,
        invoices.vat_amount,
        invoices.total_amount,
        invoices.amount_to_pay,
        invoices.state = 'paid' as is_paid,
        invoices.invoice_id as source_id
    from tryton_posted as invoices
    left join {{ ref('stg_tryton__parties') }} as parties
        on parties.company_id = invoices.company_id and parties.party_id = invoices.party_id
    left join tryton_cost_centre_ranked as cost_centre_ranked
        on cost_centre_ranked.company_id = invoices.company_id
        and cost_centre_ranked.invoice_id = invoices.invoice_id
        and cost_centre_ranked.dimension_rank = 1
    left join tryton_project_ranked as project_ranked
        on project_ranked.company_id = invoices.company_id
        and project_ranked.invoice_id = invoices.invoice_id
        and project_ranked.dimension_rank = 1
),
{%- endif %}

{% if erp_files -%}
-- An ERP export holds the invoices the ERP has issued or registered (it exports no drafts)
-- and states the cost centre and project on the invoice itself. It has no accounting date
-- apart from the invoice date, and states payments separately (int_reskontra__erp_payments).
erp_files_export as (
    select
        company_id,
        'customer' as invoice_kind,
        invoice_number,
        cast(null as {{ dbt.type_string() }}) as supplier_invoice_number,
        customer_number as party_number,
        invoice_date,
        due_date,
        cost_centre_code,
        project_code,
        currency,
        ocr,
        net_amount,
        vat_amount,
        total_amount
    from {{ ref('stg_erp_files__customer_invoices') }}
    union all
    select
        company_id,
        'supplier' as invoice_kind,
        invoice_number,
        supplier_invoice_number,
        supplier_number as party_number,
        invoice_date,
        due_date,
        cost_centre_code,
        project_code,
        currency,
        ocr,
        net_amount,
        vat_amount,
        total_amount
    from {{ ref('stg_erp_files__supplier_invoices') }}
),

erp_files_invoices as (
    select
        company_id,
        'erp_files' as source_system,
        invoice_kind,
        invoice_number,
        supplier_invoice_number,
        invoice_date,
        cast(null as date) as accounting_date,
        due_date,
        party_number,
        cost_centre_code as cost_centre,
        project_code as project,
        currency as currency_code,
        ocr,
        net_amount,
        vat_amount,
        total_amount,
        cast(null as decimal(18, 2)) as amount_to_pay,
        cast(null as boolean) as is_paid,
        -- the export's record is known by its number alone
        cast(null as {{ dbt.type_bigint() }}) as source_id
    from erp_files_export
    -- the export's key: a record without one is refused at ingestion, and could be matched
    -- to no booking here
    where invoice_number is not null
),
{%- endif %}

unioned as (
    {% if tryton %}select * from tryton_invoices{% endif %}
    {% if tryton and erp_files %}union all{% endif %}
    {% if erp_files %}select * from erp_files_invoices{% endif %}
),

final as (
    select
        -- keys
        company_id,
        source_system,
        invoice_kind,
        invoice_number,
        supplier_invoice_number,
        -- dates
        invoice_date,
        accounting_date,
        due_date,
        -- dimensions
        party_number,
        cost_centre,
        project,
        currency_code,
        ocr,
        -- amounts, in the invoice's direction
        {{ money('net_amount') }} as net_amount,
        {{ money('vat_amount') }} as vat_amount,
        {{ money('total_amount') }} as total_amount,
        {{ money('amount_to_pay') }} as amount_to_pay,
        -- state and lineage
        is_paid,
        source_id
    from unioned
)

select * from final
