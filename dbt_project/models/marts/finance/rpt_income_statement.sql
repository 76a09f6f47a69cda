{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per company, period, account, cost centre and project (resultaträkning by month).
-- amount is debit positive as booked; report_amount is signed for reading: revenue positive,
-- costs negative, so that summing report_amount gives the result.
with

entries as (
    select * from {{ ref('fct_gl_entries') }}
),

accounts as (
    select * from {{ ref('dim_account') }}
),

final as (
    select
        -- keys
        entries.company_id,
        entries.fiscal_year_start,
        entries.fiscal_year,
        entries.fiscal_period_number,
        entries.period_start,
        entries.account_number,
        entries.cost_centre_code,
        entries.project_code,
        -- dimensions
        accounts.account_name,
        accounts.report_section,
        accounts.report_line,
        accounts.report_line_ordinal,
        -- amounts
        {{ money('sum(entries.amount)') }} as amount,
        {{ money('-sum(entries.amount)') }} as report_amount
    from entries
    inner join accounts
        on accounts.company_id = entries.company_id
        and accounts.account_number = entries.account_number
    where accounts.statement = 'income_statement'
    group by
        entries.company_id,
        entries.fiscal_year_start,
        entries.fiscal_year,
        entries.fiscal_period_number,
        entries.period_start,
        entries.account_number,
        entries.cost_centre_code,
        entries.project_code,
        accounts.account_name,
        accounts.report_section,
        accounts.report_line,
        accounts.report_line_ordinal
)

select * from final
