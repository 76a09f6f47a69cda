{{ config(enabled=ledgerbridge_source('tryton') and ledgerbridge_source('fortnox')) }}
-- One row per line of an ERP supplier invoice that the company's books lack (the
-- invoice_not_booked finding), to create in the company's Fortnox supplier invoice register
-- and book from there (its voucher refers to it). Known there by the supplier and the
-- supplier's own invoice number (Tryton's reference; Fortnox numbers the invoice itself).
-- The lines' net amounts go on their accounts and dimensions; Fortnox adds the invoice's VAT
-- on ingående moms and the gross on leverantörsskulder. Only companies whose books are in
-- Fortnox; an invoice without the supplier's number is left out (nothing would find it).
with

findings as (
    select finding_id, company_id, document
    from {{ ref('rec_findings') }}
    where kind = 'invoice_not_booked' and document_type = 'supplier_invoice'
),

books_in_fortnox as (
    select company_id from {{ ref('int_ledger__companies') }}
    where source_system = 'fortnox'
),

invoices as (
    select * from {{ ref('stg_tryton__invoices') }}
    where invoice_kind = 'supplier' and state in ('posted', 'paid') and reference is not null
),

final as (
    select
        -- keys
        findings.finding_id,
        invoices.company_id,
        invoices.invoice_number,
        row_number() over (
            partition by invoices.company_id, invoices.invoice_number
            order by lines.sequence, lines.invoice_line_id
        ) as row_number,
        -- the invoice
        parties.party_code as supplier_number,
        invoices.reference as supplier_invoice_number,
        invoices.invoice_date,
        {{ money('invoices.vat_amount') }} as invoice_vat_amount,
        {{ money('invoices.total_amount') }} as invoice_total_amount,
        -- the line
        lines.account_number,
        lines.cost_centre as cost_centre_code,
        lines.project as project_code,
        {{ money('lines.net_amount') }} as net_amount
    from findings
    inner join books_in_fortnox on books_in_fortnox.company_id = findings.company_id
    inner join invoices
        on invoices.company_id = findings.company_id
        and invoices.invoice_number = findings.document
    inner join {{ ref('stg_tryton__invoice_lines') }} as lines
        on lines.company_id = invoices.company_id
        and lines.invoice_id = invoices.invoice_id
    inner join {{ ref('stg_tryton__parties') }} as parties
        on parties.company_id = invoices.company_id
        and parties.party_id = invoices.party_id
)

select * from final
