{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per company, fiscal year and month of that year. Fiscal years may be broken
-- (July–June) or, in a company's first year, longer than twelve months (up to 18).
with

fiscal_years as (
    select * from {{ ref('int_ledger__fiscal_years') }}
),

digits as (
    select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
),

month_offsets as (
    select tens.n * 10 + ones.n as month_offset
    from digits as ones
    cross join digits as tens
    where tens.n < 3
),

periods as (
    select
        fiscal_years.company_id,
        fiscal_years.fiscal_year_start,
        fiscal_years.fiscal_year_end,
        fiscal_years.fiscal_year,
        month_offsets.month_offset + 1 as fiscal_period_number,
        cast({{ dbt.dateadd('month', 'month_offsets.month_offset', 'fiscal_years.fiscal_year_start') }} as date)
            as period_start
    from fiscal_years
    inner join month_offsets
        on month_offsets.month_offset
            <= {{ dbt.datediff('fiscal_years.fiscal_year_start', 'fiscal_years.fiscal_year_end', 'month') }}
),

final as (
    select
        -- keys
        company_id,
        fiscal_year_start,
        fiscal_period_number,
        -- dates
        period_start,
        least(cast({{ dbt.last_day('period_start', 'month') }} as date), fiscal_year_end) as period_end,
        fiscal_year_end,
        -- labels
        fiscal_year
    from periods
)

select * from final
