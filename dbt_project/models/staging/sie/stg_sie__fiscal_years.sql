{{ config(enabled=ledgerbridge_source('sie')) }}
-- One row per company and fiscal year.
with

source as (
    select * from {{ source('raw_sie', 'fiscal_years') }}
),

final as (
    select
        company_id,
        fiscal_year_start,
        fiscal_year_end,
        {{ fiscal_year_label('fiscal_year_start', 'fiscal_year_end') }} as fiscal_year
    from source
)

select * from final
