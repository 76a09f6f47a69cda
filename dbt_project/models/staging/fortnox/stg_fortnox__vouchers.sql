{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per Fortnox voucher (verifikation).
with

source as (
    select * from {{ source('raw_fortnox', 'vouchers') }}
),

years as (
    select company_id, year_id, fiscal_year_start from {{ ref('stg_fortnox__financial_years') }}
),

final as (
    select
        -- keys: as SIE's (company | fiscal year start | series | number), so that one
        -- voucher read from Fortnox or from its SIE export has one id
        source.company_id || '|' || cast(years.fiscal_year_start as {{ dbt.type_string() }})
            || '|' || source.voucher_series
            || '|' || cast(source.voucher_number as {{ dbt.type_string() }}) as voucher_id,
        source.company_id,
        source.year_id,
        years.fiscal_year_start,
        source.voucher_series,
        cast(source.voucher_number as {{ dbt.type_string() }}) as voucher_number,
        -- dates
        source.transaction_date as voucher_date,
        -- descriptions
        source.description as voucher_text,
        source.comments,
        source.reference_type,
        source.reference_number,
        -- lineage
        source.read_through,
        source.fetched_at
    from source
    inner join years
        on years.company_id = source.company_id
        and years.year_id = source.year_id
)

select * from final
