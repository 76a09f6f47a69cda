{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per company and Fortnox financial year (räkenskapsår).
with

source as (
    select * from {{ source('raw_fortnox', 'financial_years') }}
),

final as (
    select
        -- keys
        company_id,
        year_id,
        from_date as fiscal_year_start,
        -- dates
        to_date as fiscal_year_end,
        {{ fiscal_year_label('from_date', 'to_date') }} as fiscal_year,
        -- attributes
        account_chart_type,
        accounting_method
    from source
)

select * from final
