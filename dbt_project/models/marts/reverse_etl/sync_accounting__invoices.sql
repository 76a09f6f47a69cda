{{ config(enabled=ledgerbridge_source('tryton') and ledgerbridge_source('fortnox')) }}
-- One row per row of an ERP customer invoice that the company's books lack (the
-- invoice_not_booked finding), to create in the company's Fortnox invoice register and book
-- from there: the kundreskontra then holds it, and its voucher refers to it. The rows as the
-- ERP has them (article, account, quantity, price, cost centre, project); Fortnox works out
-- each row's VAT from the article, as it does for any invoice. Only companies whose books
-- are in Fortnox: a company whose books are SIE files keeps no invoice register to write.
-- Only findings still standing are here, so an invoice booked and read back drops out.
with

findings as (
    select finding_id, company_id, document
    from {{ ref('rec_findings') }}
    where kind = 'invoice_not_booked' and document_type = 'customer_invoice'
),

books_in_fortnox as (
    select company_id from {{ ref('int_ledger__companies') }}
    where source_system = 'fortnox'
),

invoices as (
    select * from {{ ref('stg_tryton__invoices') }}
    where invoice_kind = 'customer' and state in ('posted', 'paid')
),

lines as (
    select * from {{ ref('stg_tryton__invoice_lines') }}
),

products as (
    select company_id, product_id, item_number from {{ ref('stg_tryton__products') }}
),

parties as (
    select company_id, party_id, party_code from {{ ref('stg_tryton__parties') }}
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
        parties.party_code as customer_number,
        invoices.invoice_date,
        {{ money('invoices.net_amount') }} as invoice_net_amount,
        {{ money('invoices.vat_amount') }} as invoice_vat_amount,
        {{ money('invoices.total_amount') }} as invoice_total_amount,
        -- the row
        products.item_number as article_number,
        lines.description,
        lines.account_number,
        lines.cost_centre as cost_centre_code,
        lines.project as project_code,
        cast(lines.quantity as decimal(18, 4)) as quantity,
        cast(lines.unit_price as decimal(18, 4)) as unit_price,
        {{ money('lines.net_amount') }} as net_amount
    from findings
    inner join books_in_fortnox on books_in_fortnox.company_id = findings.company_id
    inner join invoices
        on invoices.company_id = findings.company_id
        and invoices.invoice_number = findings.document
    inner join lines
        on lines.company_id = invoices.company_id
        and lines.invoice_id = invoices.invoice_id
    left join products
        on products.company_id = lines.company_id
        and products.product_id = lines.product_id
    left join parties
        on parties.company_id = invoices.company_id
        and parties.party_id = invoices.party_id
)

select * from final
