{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per company and account of its chart that is a control account: receivables,
-- payables, bank, output VAT or the VAT settlement account, by the BAS ranges of the seed
-- control_account_ranges (a company's own rows replace the default ones of that control).
-- Every account the chart names or the books post to is considered, so the numbers come from
-- each company's chart, never from SQL.
with

chart as (
    select company_id, account_number from {{ ref('int_ledger__accounts') }}
    union
    select company_id, account_number from {{ ref('int_ledger__voucher_rows') }}
    union
    select company_id, account_number from {{ ref('int_ledger__balances') }}
),

ranges as (
    select * from {{ ref('control_account_ranges') }}
),

companies as (
    select distinct company_id from chart
),

-- the ranges that apply to each company: its own where it has any for a control, else the
-- default ones
company_ranges as (
    select
        companies.company_id,
        ranges.control,
        ranges.account_from,
        ranges.account_to
    from companies
    inner join ranges
        on ranges.company_id = companies.company_id
    union all
    select
        companies.company_id,
        ranges.control,
        ranges.account_from,
        ranges.account_to
    from companies
    cross join ranges
    where ranges.company_id is null
        and not exists (
            select 1
            from ranges as own
            where own.company_id = companies.company_id
                and own.control = ranges.control
        )
),

final as (
    select distinct
        -- keys
        chart.company_id,
        chart.account_number,
        -- attributes
        company_ranges.control
    from chart
    inner join company_ranges
        on company_ranges.company_id = chart.company_id
        and cast(left(chart.account_number, 4) as integer)
            between company_ranges.account_from and company_ranges.account_to
)

select * from final
