{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per company, financial year and account of Fortnox's chart.
with

source as (
    select * from {{ source('raw_fortnox', 'accounts') }}
),

years as (
    select company_id, year_id, fiscal_year_start from {{ ref('stg_fortnox__financial_years') }}
),

final as (
    select
        -- keys
        source.company_id,
        source.year_id,
        years.fiscal_year_start,
        cast(source.account_number as {{ dbt.type_string() }}) as account_number,
        -- attributes
        source.description as account_name,
        coalesce(source.active, true) as is_active,
        cast(source.sru as {{ dbt.type_string() }}) as sru,
        source.vat_code,
        source.cost_center_settings,
        source.project_settings,
        -- amounts: the opening balance (ingående balans), debit positive
        {{ money('source.balance_brought_forward') }} as opening_balance
    from source
    inner join years
        on years.company_id = source.company_id
        and years.year_id = source.year_id
)

select * from final
