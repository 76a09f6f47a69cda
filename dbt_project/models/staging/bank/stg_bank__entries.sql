{{ config(enabled=ledgerbridge_source('bank')) }}
-- One row per booked or pending bank entry, with the references that tie it to an invoice
-- (OCR / structured creditor reference, end-to-end id) and the counterparty, gathered from
-- its transaction details (a batch booking has several).
with

entries as (
    select * from {{ source('raw_bank', 'entries') }}
),

transactions as (
    select * from {{ source('raw_bank', 'transactions') }}
),

details as (
    select
        company_id,
        account_id,
        statement_id,
        entry_index,
        string_agg(distinct creditor_reference, ' ' order by creditor_reference)
            as creditor_references,
        string_agg(distinct end_to_end_id, ' ' order by end_to_end_id) as end_to_end_ids,
        string_agg(distinct remittance_information, ' ' order by remittance_information)
            as remittance_information,
        min(counterparty_name) as counterparty_name,
        min(counterparty_account) as counterparty_account
    from transactions
    group by all
),

final as (
    select
        entries.company_id,
        entries.account_id,
        entries.statement_id,
        entries.entry_index,
        entries.booking_date,
        entries.value_date,
        {{ money('entries.amount') }} as amount,
        entries.currency,
        entries.status,
        entries.status = 'BOOK' as is_booked,
        entries.reversal as is_reversal,
        entries.bank_transaction_code,
        entries.account_servicer_reference,
        details.creditor_references,
        details.end_to_end_ids,
        coalesce(details.remittance_information, entries.additional_information)
            as remittance_information,
        details.counterparty_name,
        details.counterparty_account
    from entries
    left join details
        on details.company_id = entries.company_id
        and details.account_id = entries.account_id
        and details.statement_id = entries.statement_id
        and details.entry_index = entries.entry_index
)

select * from final
