{%- set fortnox = ledgerbridge_source('fortnox') -%}
{%- set erp = ledgerbridge_source('tryton') or ledgerbridge_source('erp_files') -%}
{{ config(enabled=fortnox or erp) }}
-- One row per customer or supplier invoice of a company's reskontra, amounts in SEK in the
-- invoice's direction (a credit note negative). The reskontra is the accounting system's
-- invoice register where the company keeps its books in Fortnox (its booked invoices, not
-- cancelled ones); a company whose books come as SIE files has no register in its books, so
-- its reskontra is the ERP's posted invoices (int_reskontra__erp_invoices). document_number
-- is the number the books know the invoice by (Fortnox's DocumentNumber / GivenNumber, the
-- ERP's number): the one voucher texts and references name.
with

{% if erp -%}
erp_invoices as (
    select * from {{ ref('int_reskontra__erp_invoices') }}
),
{%- endif %}

{% if fortnox -%}
fortnox_companies as (
    select distinct company_id from {{ ref('stg_fortnox__financial_years') }}
),

fortnox_customer_invoices as (
    select
        invoices.company_id,
        'customer' as invoice_kind,
        invoices.document_number,
        cast(null as {{ dbt.type_string() }}) as supplier_invoice_number,
        invoices.customer_number as party_number,
        invoices.customer_name as party_name,
        invoices.invoice_date,
        invoices.due_date,
        invoices.cost_centre_code,
        invoices.project_code,
        invoices.currency as currency_code,
        coalesce(invoices.currency_rate, 1) as fx_rate,
        invoices.ocr,
        invoices.total_amount as gross_amount_currency,
        invoices.total_amount * coalesce(invoices.currency_rate, 1) as gross_amount,
        {%- if erp %}
        -- Fortnox's invoice list states no VAT: the ERP invoice of the same number does
        erp_invoices.vat_amount,
        {%- else %}
        cast(null as decimal(18, 2)) as vat_amount,
        {%- endif %}
        'fortnox' as source_system
    from {{ ref('stg_fortnox__invoices') }} as invoices
    {% if erp -%}
    left join erp_invoices
        on erp_invoices.company_id = invoices.company_id
        and erp_invoices.invoice_kind = 'customer'
        and erp_invoices.invoice_number = invoices.document_number
    {% endif -%}
    where invoices.is_booked and not invoices.is_cancelled
),

fortnox_supplier_invoices as (
    select
        invoices.company_id,
        'supplier' as invoice_kind,
        invoices.given_number as document_number,
        invoices.supplier_invoice_number,
        invoices.supplier_number as party_number,
        invoices.supplier_name as party_name,
        invoices.invoice_date,
        invoices.due_date,
        invoices.cost_centre_code,
        invoices.project_code,
        invoices.currency as currency_code,
        coalesce(invoices.currency_rate, 1) as fx_rate,
        {%- if erp %}
        erp_invoices.ocr,
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as ocr,
        {%- endif %}
        invoices.total_amount as gross_amount_currency,
        invoices.total_amount * coalesce(invoices.currency_rate, 1) as gross_amount,
        {%- if erp %}
        erp_invoices.vat_amount,
        {%- else %}
        cast(null as decimal(18, 2)) as vat_amount,
        {%- endif %}
        'fortnox' as source_system
    from {{ ref('stg_fortnox__supplier_invoices') }} as invoices
    {% if erp -%}
    left join erp_invoices
        on erp_invoices.company_id = invoices.company_id
        and erp_invoices.invoice_kind = 'supplier'
        and erp_invoices.invoice_number = invoices.given_number
    {% endif -%}
    where invoices.is_booked and not invoices.is_cancelled
),
{%- endif %}

{% if erp -%}
erp_reskontra as (
    select
        erp_invoices.company_id,
        erp_invoices.invoice_kind,
        erp_invoices.invoice_number as document_number,
        erp_invoices.supplier_invoice_number,
        erp_invoices.party_number,
        cast(null as {{ dbt.type_string() }}) as party_name,
        erp_invoices.invoice_date,
        erp_invoices.due_date,
        erp_invoices.cost_centre_code,
        erp_invoices.project_code,
        erp_invoices.currency_code,
        -- the ERP's amounts are the company's currency
        1 as fx_rate,
        erp_invoices.ocr,
        erp_invoices.total_amount as gross_amount_currency,
        erp_invoices.total_amount as gross_amount,
        erp_invoices.vat_amount,
        erp_invoices.source_system
    from erp_invoices
    {% if fortnox -%}
    -- a company with its books in Fortnox has Fortnox's register as its reskontra
    where not exists (
        select 1 from fortnox_companies
        where fortnox_companies.company_id = erp_invoices.company_id
    )
    {%- endif %}
),
{%- endif %}

unioned as (
    {% if fortnox -%}
    select * from fortnox_customer_invoices
    union all
    select * from fortnox_supplier_invoices
    {%- endif %}
    {% if fortnox and erp %}union all{% endif %}
    {% if erp %}select * from erp_reskontra{% endif %}
),

final as (
    select
        -- keys
        company_id,
        invoice_kind,
        document_number,
        -- the supplier's own invoice number (the one it is paid by); the document number
        -- stands in where the books or the ERP do not state it
        coalesce(supplier_invoice_number, document_number) as supplier_invoice_number,
        party_number,
        -- dates
        invoice_date,
        due_date,
        -- dimensions
        cost_centre_code,
        project_code,
        currency_code,
        ocr,
        party_name,
        -- amounts (SEK unless named _currency), in the invoice's direction
        {{ money('gross_amount_currency') }} as gross_amount_currency,
        cast(fx_rate as decimal(18, 6)) as fx_rate,
        {{ money('gross_amount') }} as gross_amount,
        {{ money('gross_amount - vat_amount') }} as net_amount,
        {{ money('vat_amount') }} as vat_amount,
        -- lineage
        source_system
    from unioned
)

select * from final
