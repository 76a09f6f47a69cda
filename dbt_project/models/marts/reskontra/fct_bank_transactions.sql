{%- set ledger = ledgerbridge_source('sie') or ledgerbridge_source('fortnox') -%}
{%- set reskontra = ledgerbridge_source('fortnox') or ledgerbridge_source('tryton') or ledgerbridge_source('erp_files') -%}
{{ config(enabled=ledgerbridge_source('bank')) }}
-- One row per bank statement entry (camt.053), with what it was matched to: the reskontra
-- payment it pays (by OCR / reference, amount and date; int_reskontra__bank_payment_matches)
-- and the voucher row on a bank account of the books that books it (same amount and day;
-- int_reskontra__bank_voucher_matches). match_status: 'payment' (a customer or supplier
-- payment of the reskontra), 'booked' (no reskontra payment, but booked on the bank account:
-- salaries, taxes, fees…), 'unmatched' (a booked entry neither explains; rpt_bank_unmatched
-- lists them), 'not_booked' (pending at the bank). Amounts signed as the bank account moves:
-- money in positive.
with

entries as (
    select * from {{ ref('stg_bank__entries') }}
),

{% if reskontra -%}
payment_matches as (
    select * from {{ ref('int_reskontra__bank_payment_matches') }}
),
{%- endif %}

{% if ledger -%}
voucher_matches as (
    select * from {{ ref('int_reskontra__bank_voucher_matches') }}
),
{%- endif %}

final as (
    select
        -- keys
        entries.company_id,
        entries.account_id as bank_account,
        entries.statement_id as statement_reference,
        entries.entry_index,
        -- dates
        entries.booking_date,
        entries.value_date,
        -- dimensions
        entries.status,
        entries.is_booked,
        entries.is_reversal,
        entries.bank_transaction_code,
        entries.account_servicer_reference,
        entries.creditor_references,
        entries.end_to_end_ids,
        entries.remittance_information,
        entries.counterparty_name,
        entries.counterparty_account,
        case
            when not entries.is_booked then 'not_booked'
            {% if reskontra -%}
            when payment_matches.payment_number is not null then 'payment'
            {% endif -%}
            {% if ledger -%}
            when voucher_matches.voucher_id is not null then 'booked'
            {% endif -%}
            else 'unmatched'
        end as match_status,
        {% if reskontra -%}
        payment_matches.invoice_kind as matched_invoice_kind,
        payment_matches.document_number as matched_document_number,
        payment_matches.payment_number as matched_payment_number,
        payment_matches.payment_date as matched_payment_date,
        {%- else -%}
        cast(null as {{ dbt.type_string() }}) as matched_invoice_kind,
        cast(null as {{ dbt.type_string() }}) as matched_document_number,
        cast(null as {{ dbt.type_string() }}) as matched_payment_number,
        cast(null as date) as matched_payment_date,
        {%- endif %}
        {% if ledger -%}
        voucher_matches.voucher_id as matched_voucher_id,
        voucher_matches.account_number as matched_account_number,
        {%- else -%}
        cast(null as {{ dbt.type_string() }}) as matched_voucher_id,
        cast(null as {{ dbt.type_string() }}) as matched_account_number,
        {%- endif %}
        -- amounts
        entries.amount,
        entries.currency as currency_code
    from entries
    {% if reskontra -%}
    left join payment_matches
        on payment_matches.company_id = entries.company_id
        and payment_matches.bank_account = entries.account_id
        and payment_matches.statement_reference = entries.statement_id
        and payment_matches.entry_index = entries.entry_index
    {% endif -%}
    {% if ledger -%}
    left join voucher_matches
        on voucher_matches.company_id = entries.company_id
        and voucher_matches.bank_account = entries.account_id
        and voucher_matches.statement_reference = entries.statement_id
        and voucher_matches.entry_index = entries.entry_index
    {%- endif %}
)

select * from final
