{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per company and account: every account the books name or post to, placed in the
-- report structure (report line, statement, cash-flow group) by the narrowest BAS range of
-- seeds/bas_account_ranges.csv, unless seeds/mappings/account_overrides.csv places the
-- company's account (or range) elsewhere.
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

overrides as (
    select * from {{ ref('account_overrides') }}
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

numbered as (
    select
        company_id,
        account_number,
        cast(left(account_number, 4) as integer) as account_key
    from used_accounts
),

range_matches as (
    -- the narrowest BAS range holding the account wins (1229 before 1100-1299)
    select
        numbered.company_id,
        numbered.account_number,
        ranges.statement,
        ranges.report_section,
        ranges.report_line,
        ranges.report_line_ordinal,
        ranges.cash_flow_group,
        row_number() over (
            partition by numbered.company_id, numbered.account_number
            order by ranges.account_to - ranges.account_from, ranges.account_from
        ) as specificity
    from numbered
    inner join ranges
        on numbered.account_key between ranges.account_from and ranges.account_to
),

override_matches as (
    -- a company's own placement, narrowest first
    select
        numbered.company_id,
        numbered.account_number,
        overrides.statement,
        overrides.report_section,
        overrides.report_line,
        overrides.report_line_ordinal,
        overrides.cash_flow_group,
        row_number() over (
            partition by numbered.company_id, numbered.account_number
            order by overrides.account_to - overrides.account_from, overrides.account_from
        ) as specificity
    from numbered
    inner join overrides
        on overrides.company_id = numbered.company_id
        and numbered.account_key between overrides.account_from and overrides.account_to
),

placed as (
    select
        numbered.company_id,
        numbered.account_number,
        cast(left(numbered.account_number, 1) as integer) as account_class,
        coalesce(override_matches.statement, range_matches.statement,
            case when left(numbered.account_number, 1) in ('1', '2')
                then 'balance_sheet' else 'income_statement' end) as statement,
        coalesce(override_matches.report_section, range_matches.report_section) as report_section,
        coalesce(override_matches.report_line, range_matches.report_line, 'Övrigt') as report_line,
        coalesce(override_matches.report_line_ordinal, range_matches.report_line_ordinal, 999)
            as report_line_ordinal,
        coalesce(override_matches.cash_flow_group, range_matches.cash_flow_group,
            case when left(numbered.account_number, 1) in ('1', '2')
                then 'other_working_capital' else 'operating_result' end) as cash_flow_group
    from numbered
    left join range_matches
        on range_matches.company_id = numbered.company_id
        and range_matches.account_number = numbered.account_number
        and range_matches.specificity = 1
    left join override_matches
        on override_matches.company_id = numbered.company_id
        and override_matches.account_number = numbered.account_number
        and override_matches.specificity = 1
),

final as (
    select
        -- keys
        placed.company_id,
        placed.account_number,
        -- attributes
        coalesce(latest_names.account_name, 'Konto ' || placed.account_number) as account_name,
        placed.account_class,
        left(placed.account_number, 2) as account_group,
        placed.statement,
        placed.report_section,
        placed.report_line,
        placed.report_line_ordinal,
        -- assets and costs are normally debit (+1), the rest credit (-1)
        case
            when placed.account_class in (1, 4, 5, 6, 7) then 1
            else -1
        end as normal_sign,
        placed.cash_flow_group,
        placed.cash_flow_group = 'cash' as is_cash,
        -- 8990-8999: the year's result booked over to equity (2099) at year end
        placed.cash_flow_group = 'result_transfer' as is_result_transfer
    from placed
    left join latest_names
        on latest_names.company_id = placed.company_id
        and latest_names.account_number = placed.account_number
        and latest_names.recency = 1
)

select * from final
