{{ config(enabled=ledgerbridge_source('bank'), materialized='table') }}
-- One row per booked or pending bank entry, with the references that tie it to an invoice
-- (OCR / structured creditor reference, end-to-end id) and the counterparty, gathered from
-- its transaction details (a batch booking has several).
--
-- A table, unlike the other staging models: gathering each entry's transaction details
-- (ordered string_agg over every transaction) cost 4 s per read at 10 M GL rows (1.6 M
-- entries), and three models and three data tests read it on every build.
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
        string_agg(creditor_reference, ' ' order by transaction_index) as creditor_references,
        string_agg(end_to_end_id, ' ' order by transaction_index) as end_to_end_ids,
        string_agg(remittance_information, ' ' order by transaction_index)
            as remittance_information,
        -- name and account of one and the same party: the first transaction's
        {{ arg_min('counterparty_name', 'transaction_index') }} as counterparty_name,
        {{ arg_min('counterparty_account', 'transaction_index') }} as counterparty_account,
        count(distinct counterparty_name) as counterparty_count
    from transactions
    group by company_id, account_id, statement_id, entry_index
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
        details.counterparty_account,
        coalesce(details.counterparty_count, 0) as counterparty_count
    from entries
    left join details
        on details.company_id = entries.company_id
        and details.account_id = entries.account_id
        and details.statement_id = entries.statement_id
        and details.entry_index = entries.entry_index
)

select * from final
