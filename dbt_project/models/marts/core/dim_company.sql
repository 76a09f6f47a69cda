{%- set fortnox = ledgerbridge_source('fortnox') -%}
{{ config(enabled=ledgerbridge_source('sie') or fortnox) }}
-- One row per company with books: its name and organisation number (seeds/mappings/
-- companies.csv, else the id), the accounting system its ledger is read from, the span of
-- its fiscal years, and the last day its accounting system has locked (Fortnox's locked
-- period; an SIE export does not say).
with

companies as (
    select * from {{ ref('int_ledger__companies') }}
),

fiscal_years as (
    select * from {{ ref('int_ledger__fiscal_years') }}
),

names as (
    select * from {{ ref('companies') }}
),

{% if fortnox -%}
locked_periods as (
    select company_id, locked_until from {{ ref('stg_fortnox__locked_period') }}
),

{% endif -%}
year_span as (
    select
        company_id,
        min(fiscal_year_start) as first_fiscal_year_start,
        max(fiscal_year_start) as last_fiscal_year_start,
        max(fiscal_year_end) as last_fiscal_year_end,
        count(*) as fiscal_years
    from fiscal_years
    group by company_id
),

final as (
    select
        -- keys
        companies.company_id,
        -- dates
        year_span.first_fiscal_year_start,
        year_span.last_fiscal_year_start,
        year_span.last_fiscal_year_end,
        {% if fortnox -%}
        case when companies.source_system = 'fortnox' then locked_periods.locked_until end
        {%- else -%}
        cast(null as date)
        {%- endif %} as books_locked_until,
        -- attributes
        coalesce(names.company_name, companies.company_id) as company_name,
        names.orgnr,
        companies.source_system as system_of_record,
        first_years.fiscal_year as first_fiscal_year,
        last_years.fiscal_year as last_fiscal_year,
        year_span.fiscal_years,
        'SEK' as currency_code
    from companies
    left join names
        on names.company_id = companies.company_id
    {% if fortnox -%}
    left join locked_periods
        on locked_periods.company_id = companies.company_id
    {% endif -%}
    left join year_span
        on year_span.company_id = companies.company_id
    left join fiscal_years as first_years
        on first_years.company_id = companies.company_id
        and first_years.fiscal_year_start = year_span.first_fiscal_year_start
    left join fiscal_years as last_years
        on last_years.company_id = companies.company_id
        and last_years.fiscal_year_start = year_span.last_fiscal_year_start
)

select * from final
