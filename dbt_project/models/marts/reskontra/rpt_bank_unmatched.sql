{{ config(enabled=ledgerbridge_source('bank')) }}
-- One row per booked bank statement entry that neither a reskontra payment nor a voucher row
-- on a bank account of the books explains (fct_bank_transactions, match_status 'unmatched'):
-- money the bank moved that the books do not show, for a controller to book or query.
with

transactions as (
    select * from {{ ref('fct_bank_transactions') }}
),

final as (
    select
        -- keys
        company_id,
        bank_account,
        statement_reference,
        entry_index,
        -- dates
        booking_date,
        -- dimensions
        creditor_references,
        remittance_information,
        counterparty_name,
        -- amounts
        amount,
        currency_code
    from transactions
    where match_status = 'unmatched'
)

select * from final
