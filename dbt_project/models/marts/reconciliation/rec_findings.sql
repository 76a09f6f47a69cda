{%- set ledger = ledgerbridge_source('sie') or ledgerbridge_source('fortnox') -%}
{%- set erp = ledgerbridge_source('tryton') -%}
{%- set registers = ledgerbridge_source('fortnox') and (erp or ledgerbridge_source('einvoice')) -%}
{#- the checks enabled with the sources present: each check model has the same condition -#}
{%- set checks = ['int_rec__duplicate_bookings'] -%}
{%- if erp -%}
    {%- do checks.extend([
        'int_rec__invoices_not_booked',
        'int_rec__invoice_amount_mismatches',
        'int_rec__invoice_dimension_mismatches',
        'int_rec__inventory_value_mismatches',
    ]) -%}
{%- endif -%}
{%- if registers -%}
    {%- do checks.append('int_rec__master_data_mismatches') -%}
{%- endif -%}
{#- the control-account checks (reskontra, bank, VAT; decision 0021), each with a
    document_type column (account, bank_account, period). `checks` is a list here and a
    mapping check → document type where the finding id includes the document type: the
    block adds them to either. -#}
{%- set control_checks = {} -%}
{%- if ledgerbridge_source('fortnox') or ledgerbridge_source('tryton') or ledgerbridge_source('erp_files') -%}
    {%- do control_checks.update({
        'int_rec__ar_control_mismatches': 'document_type',
        'int_rec__ap_control_mismatches': 'document_type',
        'int_rec__vat_mismatches': 'document_type',
    }) -%}
{%- endif -%}
{%- if ledgerbridge_source('bank') -%}
    {%- do control_checks.update({'int_rec__bank_balance_mismatches': 'document_type'}) -%}
{%- endif -%}
{%- if checks is mapping -%}
    {%- do checks.update(control_checks) -%}
{%- else -%}
    {%- do checks.extend(control_checks.keys() | list) -%}
{%- endif -%}
{{ config(enabled=ledger) }}
-- One row per finding a controller acts on: company, kind and document (an invoice number, a
-- customer or supplier number, a warehouse code). finding_id hashes those three, so a finding
-- keeps its id from one build to the next for as long as it stands. Two findings of one kind
-- on one document (a customer and a supplier invoice that share a number) become one, their
-- details joined, with the higher severity.
with

findings as (
    {% for check in checks -%}
    select company_id, kind, document, severity, details, suggested_action
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
        document,
        max(severity_rank) as severity_rank,
        string_agg(details, ' | ' order by details) as details,
        string_agg(suggested_action, ' | ' order by details) as suggested_action
    from ranked
    group by company_id, kind, document
),

final as (
    select
        -- keys
        cast({{ dbt.hash(dbt.concat(["company_id", "'|'", "kind", "'|'", "document"])) }}
            as {{ dbt.type_string() }}) as finding_id,
        company_id,
        kind,
        document,
        -- what it is and what to do
        case severity_rank when 3 then 'high' when 2 then 'medium' else 'low' end as severity,
        details,
        suggested_action
    from combined
)

select * from final
