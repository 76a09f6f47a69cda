{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per company and account: every account the books name or post to, placed in the
-- report structure by its BAS number.
with

chart as (
    select * from {{ ref('int_ledger__accounts') }}
),

voucher_rows as (
    select * from {{ ref('int_ledger__voucher_rows') }}
),

balances as (
    select * from {{ ref('int_ledger__balances') }}
),

ranges as (
    select * from {{ ref('bas_account_ranges') }}
),

latest_names as (
    -- the name in the most recent fiscal year that names the account
    select
        company_id,
        account_number,
        account_name,
        row_number() over (
            partition by company_id, account_number
            order by fiscal_year_start desc
        ) as recency
    from chart
),

used_accounts as (
    select company_id, account_number from chart
    union
    select company_id, account_number from voucher_rows
    union
    select company_id, account_number from balances
),

final as (
    select
        -- keys
        used_accounts.company_id,
        used_accounts.account_number,
        -- attributes
        coalesce(latest_names.account_name, 'Konto ' || used_accounts.account_number) as account_name,
        cast(left(used_accounts.account_number, 1) as integer) as account_class,
        coalesce(ranges.statement,
            case when left(used_accounts.account_number, 1) in ('1', '2')
                then 'balance_sheet' else 'income_statement' end) as statement,
        ranges.report_section,
        coalesce(ranges.report_line, 'Övrigt') as report_line,
        coalesce(ranges.report_line_ordinal, 999) as report_line_ordinal,
        -- assets and costs are normally debit (+1), the rest credit (-1)
        case
            when left(used_accounts.account_number, 1) = '1' then 1
            when left(used_accounts.account_number, 1) in ('4', '5', '6', '7') then 1
            else -1
        end as normal_sign
    from used_accounts
    left join latest_names
        on latest_names.company_id = used_accounts.company_id
        and latest_names.account_number = used_accounts.account_number
        and latest_names.recency = 1
    left join ranges
        on cast(left(used_accounts.account_number, 4) as integer)
            between ranges.account_from and ranges.account_to
)

select * from final
