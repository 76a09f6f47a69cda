-- One row per company, fiscal year and account, as the accounting program's chart names it.
with

source as (
    select * from {{ source('raw_sie', 'accounts') }}
),

final as (
    select
        company_id,
        fiscal_year_start,
        account_number,
        account_name
    from source
)

select * from final
