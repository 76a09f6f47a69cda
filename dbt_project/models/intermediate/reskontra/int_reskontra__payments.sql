{%- set fortnox = ledgerbridge_source('fortnox') -%}
{%- set erp = ledgerbridge_source('tryton') or ledgerbridge_source('erp_files') -%}
{{ config(enabled=fortnox or erp) }}
-- One row per payment of an invoice of the reskontra (int_reskontra__invoices), from the same
-- system as the invoice: Fortnox's invoice and supplier invoice payments, or the ERP's. The
-- amount is in the invoice's direction and in SEK: what the payment takes off its balance.
with

invoices as (
    select * from {{ ref('int_reskontra__invoices') }}
),

{% if fortnox -%}
fortnox_payments as (
    select
        company_id,
        'customer' as invoice_kind,
        document_number,
        payment_number,
        payment_date,
        amount,
        'fortnox' as source_system
    from {{ ref('stg_fortnox__invoice_payments') }}
    union all
    select
        company_id,
        'supplier' as invoice_kind,
        given_number as document_number,
        payment_number,
        payment_date,
        amount,
        'fortnox' as source_system
    from {{ ref('stg_fortnox__supplier_invoice_payments') }}
),
{%- endif %}

{% if erp -%}
erp_payments as (
    select
        company_id,
        invoice_kind,
        invoice_number as document_number,
        payment_number,
        payment_date,
        amount,
        source_system
    from {{ ref('int_reskontra__erp_payments') }}
),
{%- endif %}

unioned as (
    {% if fortnox %}select * from fortnox_payments{% endif %}
    {% if fortnox and erp %}union all{% endif %}
    {% if erp %}select * from erp_payments{% endif %}
),

final as (
    select
        -- keys
        unioned.company_id,
        unioned.invoice_kind,
        unioned.document_number,
        unioned.payment_number,
        -- dates
        unioned.payment_date,
        -- amounts (SEK), in the invoice's direction
        {{ money('unioned.amount') }} as amount,
        -- lineage
        unioned.source_system
    from unioned
    -- the payments of the reskontra's own system only (a company on Fortnox: not the ERP's)
    inner join invoices
        on invoices.company_id = unioned.company_id
        and invoices.invoice_kind = unioned.invoice_kind
        and invoices.document_number = unioned.document_number
        and invoices.source_system = unioned.source_system
)

select * from final
