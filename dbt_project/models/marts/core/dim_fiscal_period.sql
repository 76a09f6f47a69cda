{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per company and month of each of its fiscal years (key: company_id, period_start),
-- from the fiscal years of its accounting system: broken years (July–June) and first years
-- longer than twelve months included. Nothing here depends on today's date.
with

periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

numbered as (
    select
        periods.*,
        count(*) over (partition by company_id, fiscal_year_start) as periods_in_year,
        dense_rank() over (partition by company_id order by fiscal_year_start)
            as fiscal_year_sequence,
        row_number() over (partition by company_id order by period_start) as period_sequence
    from periods
),

final as (
    select
        -- keys
        company_id,
        period_start,
        fiscal_year_start,
        -- dates
        period_end,
        fiscal_year_end,
        -- attributes
        fiscal_year,
        fiscal_period_number,
        fiscal_year_sequence,
        period_sequence,
        periods_in_year,
        fiscal_period_number = 1 as is_year_start,
        period_end = fiscal_year_end as is_year_end
    from numbered
)

select * from final
