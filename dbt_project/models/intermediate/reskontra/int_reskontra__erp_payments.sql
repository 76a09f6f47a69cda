{%- set tryton = ledgerbridge_source('tryton') -%}
{%- set erp_files = ledgerbridge_source('erp_files') -%}
{{ config(enabled=tryton or erp_files) }}
-- One row per payment the ERP records against a customer or supplier invoice, the amount in
-- the invoice's direction (what it takes off the invoice's balance). Tryton's are the cash
-- lines it reconciled with the invoice; an ERP export states its payments.
with

{% if tryton -%}
tryton_payments as (
    select
        invoices.company_id,
        invoices.invoice_kind,
        invoices.invoice_number,
        cast(payments.move_line_id as {{ dbt.type_string() }}) as payment_number,
        payments.payment_date,
        case
            when invoices.invoice_kind = 'customer' then payments.credit - payments.debit
            else payments.debit - payments.credit
        end as amount,
        cast(null as {{ dbt.type_string() }}) as reference,
        'tryton' as source_system
    from {{ ref('stg_tryton__invoice_payments') }} as payments
    inner join {{ ref('int_erp__invoices') }} as invoices
        on invoices.company_id = payments.company_id
        and invoices.source_system = 'tryton'
        and invoices.source_id = payments.invoice_id
),
{%- endif %}

{% if erp_files -%}
file_payments as (
    select
        company_id,
        'customer' as invoice_kind,
        invoice_number,
        payment_number,
        payment_date,
        amount,
        reference,
        'erp_files' as source_system
    from {{ ref('stg_erp_files__customer_payments') }}
    union all
    select
        company_id,
        'supplier' as invoice_kind,
        invoice_number,
        payment_number,
        payment_date,
        amount,
        cast(null as {{ dbt.type_string() }}) as reference,
        'erp_files' as source_system
    from {{ ref('stg_erp_files__supplier_payments') }}
),
{%- endif %}

unioned as (
    {% if tryton %}select * from tryton_payments{% endif %}
    {% if tryton and erp_files %}union all{% endif %}
    {% if erp_files %}select * from file_payments{% endif %}
),

final as (
    select
        -- keys
        company_id,
        invoice_kind,
        invoice_number,
        payment_number,
        -- dates
        payment_date,
        -- amounts, in the invoice's direction
        {{ money('amount') }} as amount,
        -- attributes and lineage
        reference,
        source_system
    from unioned
)

select * from final
