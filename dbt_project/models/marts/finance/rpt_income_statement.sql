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

aggregated as (
    select
        entries.company_id,
        entries.fiscal_year_start,
        entries.fiscal_year,
        entries.fiscal_period_number,
        entries.period_start,
        entries.account_number,
        entries.cost_centre_code,
        entries.project_code,
        sum(entries.amount) as amount
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
        entries.project_code
),

final as (
    select
        -- keys
        aggregated.company_id,
        aggregated.fiscal_year_start,
        aggregated.fiscal_year,
        aggregated.fiscal_period_number,
        aggregated.period_start,
        aggregated.account_number,
        aggregated.cost_centre_code,
        aggregated.project_code,
        -- dimensions
        accounts.account_name,
        accounts.report_section,
        accounts.report_line,
        accounts.report_line_ordinal,
        -- amounts
        {{ money('aggregated.amount') }} as amount,
        {{ money('-aggregated.amount') }} as report_amount
    from aggregated
    inner join accounts
        on accounts.company_id = aggregated.company_id
        and accounts.account_number = aggregated.account_number
)

select * from final
