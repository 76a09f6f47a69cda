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

-- Fortnox's two registers in one shape: a supplier invoice is known by Fortnox's own
-- number (GivenNumber) and also states the supplier's
fortnox_registers as (
    select
        company_id,
        'customer' as invoice_kind,
        document_number,
        cast(null as {{ dbt.type_string() }}) as supplier_invoice_number,
        customer_number as party_number,
        customer_name as party_name,
        invoice_date,
        due_date,
        cost_centre_code,
        project_code,
        currency,
        currency_rate,
        ocr,
        total_amount
    from {{ ref('stg_fortnox__invoices') }}
    where is_booked and not is_cancelled
    union all
    select
        company_id,
        'supplier' as invoice_kind,
        given_number as document_number,
        supplier_invoice_number,
        supplier_number as party_number,
        supplier_name as party_name,
        invoice_date,
        due_date,
        cost_centre_code,
        project_code,
        currency,
        currency_rate,
        cast(null as {{ dbt.type_string() }}) as ocr,
        total_amount
    from {{ ref('stg_fortnox__supplier_invoices') }}
    where is_booked and not is_cancelled
),

fortnox_invoices as (
    select
        registers.company_id,
        registers.invoice_kind,
        registers.document_number,
        registers.supplier_invoice_number,
        registers.party_number,
        registers.party_name,
        registers.invoice_date,
        registers.due_date,
        registers.cost_centre_code,
        registers.project_code,
        registers.currency as currency_code,
        coalesce(registers.currency_rate, 1) as fx_rate,
        {%- if erp %}
        -- Fortnox's supplier register states no OCR: the ERP invoice of the same number does
        case
            when registers.invoice_kind = 'supplier' then erp_invoices.ocr else registers.ocr
        end as ocr,
        {%- else %}
        registers.ocr,
        {%- endif %}
        registers.total_amount as gross_amount_currency,
        registers.total_amount * coalesce(registers.currency_rate, 1) as gross_amount,
        {%- if erp %}
        -- Fortnox's invoice lists state no VAT: the ERP invoice of the same number does
        erp_invoices.vat_amount,
        {%- else %}
        cast(null as decimal(18, 2)) as vat_amount,
        {%- endif %}
        'fortnox' as source_system
    from fortnox_registers as registers
    {% if erp -%}
    left join erp_invoices
        on erp_invoices.company_id = registers.company_id
        and erp_invoices.invoice_kind = registers.invoice_kind
        and erp_invoices.invoice_number = registers.document_number
    {% endif -%}
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
    select * from fortnox_invoices
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
