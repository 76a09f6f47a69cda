{%- set ledger = ledgerbridge_source('sie') or ledgerbridge_source('fortnox') -%}
{%- set tryton = ledgerbridge_source('tryton') -%}
{#- the ERP's invoices come from Tryton or an ERP export (int_erp__invoices); its parties and
    stock from Tryton only -#}
{%- set erp_invoices = tryton or ledgerbridge_source('erp_files') -%}
{%- set registers = ledgerbridge_source('fortnox') and (tryton or ledgerbridge_source('einvoice')) -%}
{#- the checks enabled with the sources present (each check model has the same condition),
    with what kind of document each names -#}
{%- set checks = {'int_rec__duplicate_bookings': 'document_type'} -%}
{%- if erp_invoices -%}
    {%- do checks.update({
        'int_rec__accounts_not_in_books': 'document_type',
        'int_rec__invoices_not_booked': 'document_type',
        'int_rec__invoice_amount_mismatches': 'document_type',
        'int_rec__invoice_dimension_mismatches': 'document_type',
    }) -%}
{%- endif -%}
{%- if tryton -%}
    {%- do checks.update({'int_rec__inventory_value_mismatches': "'warehouse'"}) -%}
{%- endif -%}
{%- if registers -%}
    {%- do checks.update({'int_rec__master_data_mismatches': 'document_type'}) -%}
{%- endif -%}
{%- if ledgerbridge_source('sie') and ledgerbridge_source('fortnox') -%}
    {%- do checks.update({'int_rec__books_years_not_used': 'document_type'}) -%}
{%- endif -%}
{#- the control-account checks (reskontra, bank, VAT; decision 0021) -#}
{%- if ledgerbridge_source('fortnox') or ledgerbridge_source('tryton') or ledgerbridge_source('erp_files') -%}
    {%- do checks.update({
        'int_rec__ar_control_mismatches': 'document_type',
        'int_rec__ap_control_mismatches': 'document_type',
        'int_rec__vat_mismatches': 'document_type',
    }) -%}
{%- endif -%}
{%- if ledgerbridge_source('bank') -%}
    {%- do checks.update({'int_rec__bank_balance_mismatches': 'document_type'}) -%}
{%- endif -%}
{{ config(enabled=ledger) }}
-- One row per finding a controller acts on: company, kind and document (an invoice number, a
-- customer or supplier number, a warehouse code, a control account, a period), with the
-- document's type (customer_invoice, supplier_invoice, customer, supplier, warehouse,
-- fiscal_year, account, bank_account, period), since a customer and a
-- supplier invoice may share a number. finding_id hashes those four, so a finding keeps its id
-- from one build to the next for as long as it stands. Two findings of one kind on one
-- document (a register difference and a payment account difference of one supplier) become
-- one, their details joined, with the higher severity.
with

findings as (
    {% for check, document_type in checks.items() -%}
    select company_id, kind, {{ document_type }} as document_type, document, severity, details,
        suggested_action
    from {{ ref(check) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor -%}
),

ranked as (
    select
        *,
        case severity when 'high' then 3 when 'medium' then 2 else 1 end as severity_rank
    from findings
),

combined as (
    select
        company_id,
        kind,
        document_type,
        document,
        max(severity_rank) as severity_rank,
        string_agg(details, ' | ' order by details) as details,
        string_agg(suggested_action, ' | ' order by details) as suggested_action
    from ranked
    group by company_id, kind, document_type, document
),

final as (
    select
        -- keys
        cast({{ dbt.hash(dbt.concat(["company_id", "'|'", "kind", "'|'", "document_type", "'|'", "document"])) }}
            as {{ dbt.type_string() }}) as finding_id,
        company_id,
        kind,
        document_type,
        document,
        -- what it is and what to do
        case severity_rank when 3 then 'high' when 2 then 'medium' else 'low' end as severity,
        details,
        suggested_action
    from combined
)

select * from final
