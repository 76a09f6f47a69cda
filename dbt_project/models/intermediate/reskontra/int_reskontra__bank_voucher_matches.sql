{{ config(enabled=ledgerbridge_source('bank') and (ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))) }}
-- One row per booked bank statement entry and voucher row on a bank account of the books
-- (the bank control accounts of the chart, int_reskontra__control_accounts) it is paired with:
-- same company, same amount, the voucher dated on the entry's booking day. Entries and rows
-- of one amount and day are paired in order (statement and entry order; voucher and row
-- order), each used once.
with

entries as (
    -- a reversal too: the books book it as well
    select
        company_id,
        account_id as bank_account,
        statement_id as statement_reference,
        entry_index,
        booking_date,
        amount
    from {{ ref('stg_bank__entries') }}
    where is_booked
),

bank_accounts as (
    select * from {{ ref('int_reskontra__control_accounts') }} where control = 'bank'
),

voucher_rows as (
    select * from {{ ref('int_ledger__voucher_rows') }}
),

vouchers as (
    select * from {{ ref('int_ledger__vouchers') }}
),

bank_rows as (
    select
        voucher_rows.company_id,
        voucher_rows.voucher_id,
        voucher_rows.row_number,
        voucher_rows.account_number,
        vouchers.voucher_date,
        voucher_rows.amount,
        row_number() over (
            partition by voucher_rows.company_id, vouchers.voucher_date, voucher_rows.amount
            order by vouchers.voucher_series, vouchers.voucher_number, voucher_rows.voucher_id,
                voucher_rows.row_number
        ) as pair_number
    from voucher_rows
    inner join bank_accounts
        on bank_accounts.company_id = voucher_rows.company_id
        and bank_accounts.account_number = voucher_rows.account_number
    inner join vouchers
        on vouchers.voucher_id = voucher_rows.voucher_id
),

numbered_entries as (
    select
        company_id,
        bank_account,
        statement_reference,
        entry_index,
        booking_date,
        amount,
        row_number() over (
            partition by company_id, booking_date, amount
            order by bank_account, statement_reference, entry_index
        ) as pair_number
    from entries
),

final as (
    select
        -- keys
        numbered_entries.company_id,
        numbered_entries.bank_account,
        numbered_entries.statement_reference,
        numbered_entries.entry_index,
        bank_rows.voucher_id,
        bank_rows.row_number as voucher_row_number,
        -- dimensions
        bank_rows.account_number
    from numbered_entries
    inner join bank_rows
        on bank_rows.company_id = numbered_entries.company_id
        and bank_rows.voucher_date = numbered_entries.booking_date
        and bank_rows.amount = numbered_entries.amount
        and bank_rows.pair_number = numbered_entries.pair_number
)

select * from final
