{{ config(enabled=ledgerbridge_source('bank') and (ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))) }}
-- One row per company whose bank accounts in the books (BAS 1930–1939 of its chart,
-- int_reskontra__control_accounts) hold another balance than the bank's statements say at
-- the latest statement closing date the books have reached (finding kind
-- bank_balance_mismatch), with since which statement they differ and the booked entries no
-- voucher explains. Statements closing on one day are added up: a company with several bank
-- accounts compares them together with its bank accounts in the books.
with

statements as (
    select * from {{ ref('stg_bank__statements') }}
),

balances as (
    select * from {{ ref('int_reskontra__control_balances') }} where control = 'bank'
),

bank_accounts as (
    select * from {{ ref('int_reskontra__control_accounts') }} where control = 'bank'
),

vouchers as (
    select * from {{ ref('int_ledger__vouchers') }}
),

transactions as (
    select * from {{ ref('fct_bank_transactions') }}
),

books_reach as (
    select company_id, max(voucher_date) as reached from vouchers group by company_id
),

statement_totals as (
    select
        statements.company_id,
        statements.closing_date,
        sum(statements.closing_balance) as closing_balance,
        string_agg(statements.account_id, ', ' order by statements.account_id) as bank_accounts
    from statements
    inner join books_reach
        on books_reach.company_id = statements.company_id
        and statements.closing_date <= books_reach.reached
    group by statements.company_id, statements.closing_date
),

compared as (
    select
        statement_totals.company_id,
        statement_totals.closing_date,
        statement_totals.bank_accounts,
        statement_totals.closing_balance,
        coalesce(balances.balance, 0) as ledger_balance,
        coalesce(balances.balance, 0) - statement_totals.closing_balance as difference
    from statement_totals
    left join balances
        on balances.company_id = statement_totals.company_id
        and balances.as_of_date = statement_totals.closing_date
),

{{ difference_since('compared', 'closing_date', 'difference') }}

unmatched as (
    select company_id, count(*) as entries, sum(amount) as amount
    from transactions
    where match_status = 'unmatched'
    group by company_id
),

accounts as (
    select company_id, string_agg(account_number, ', ' order by account_number) as account_list
    from bank_accounts
    group by company_id
),

final as (
    select
        compared.company_id,
        'bank_balance_mismatch' as kind,
        'bank_account' as document_type,
        compared.bank_accounts as document,
        'high' as severity,
        'bank account ' || compared.bank_accounts || ' closes '
        || cast(compared.closing_date as {{ dbt.type_string() }}) || ' at '
        || cast({{ money('compared.closing_balance') }} as {{ dbt.type_string() }})
        || '; account ' || coalesce(accounts.account_list, '(none in the chart)') || ' holds '
        || cast({{ money('compared.ledger_balance') }} as {{ dbt.type_string() }})
        || ' (difference ' || cast({{ money('compared.difference') }} as {{ dbt.type_string() }})
        || ', since the statement closing ' || cast(since.closing_date as {{ dbt.type_string() }})
        || ')' || case when unmatched.entries > 0
            then '; ' || cast(unmatched.entries as {{ dbt.type_string() }})
                || ' bank entries of ' || cast({{ money('unmatched.amount') }} as {{ dbt.type_string() }})
                || ' in all are not booked (rpt_bank_unmatched)'
            else '' end
            as details,
        'Book the bank entries the books lack (rpt_bank_unmatched) or correct the vouchers on'
        || ' the bank account that the bank did not execute' as suggested_action
    from compared
    inner join latest
        on latest.company_id = compared.company_id
        and latest.closing_date = compared.closing_date
    inner join since on since.company_id = compared.company_id
    left join accounts on accounts.company_id = compared.company_id
    left join unmatched on unmatched.company_id = compared.company_id
    where compared.difference <> 0
)

select * from final
