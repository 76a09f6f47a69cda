{{ config(enabled=ledgerbridge_source('bank')) }}
-- One row per bank statement: an account's opening and closing booked balance for a period.
with

statements as (
    select * from {{ source('raw_bank', 'statements') }}
),

final as (
    select
        company_id,
        account_id,
        statement_id,
        coalesce(account_currency, closing_currency) as currency,
        {{ money('opening_balance') }} as opening_balance,
        opening_date,
        {{ money('closing_balance') }} as closing_balance,
        closing_date,
        created_at,
        entries as entry_count,
        file_sha256
    from statements
)

select * from final
