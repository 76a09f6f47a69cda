{{ config(enabled=ledgerbridge_source('sie') and ledgerbridge_source('fortnox')) }}
-- One row per fiscal year a company's SIE files hold and its Fortnox does not (finding kind
-- books_year_not_used). A company with Fortnox data has Fortnox as its system of record
-- (int_ledger__companies), so its SIE files are not read; a year only they hold — the years
-- before the company moved to Fortnox, say — would otherwise vanish from every report
-- without a word.
with

companies as (
    select * from {{ ref('int_ledger__companies') }} where source_system = 'fortnox'
),

sie_years as (
    select * from {{ ref('stg_sie__fiscal_years') }}
),

fortnox_years as (
    select * from {{ ref('stg_fortnox__financial_years') }}
),

unused as (
    select sie_years.*
    from sie_years
    inner join companies on companies.company_id = sie_years.company_id
    where not exists (
        select 1 from fortnox_years
        where fortnox_years.company_id = sie_years.company_id
            and fortnox_years.fiscal_year_start = sie_years.fiscal_year_start
    )
),

final as (
    select
        company_id,
        'books_year_not_used' as kind,
        'fiscal_year' as document_type,
        fiscal_year as document,
        'low' as severity,
        'fiscal year ' || fiscal_year || ' is in the SIE files but not in Fortnox, the'
        || ' company''s system of record: its vouchers and balances are left out of every'
        || ' report' as details,
        'Import the year into Fortnox, or remove the company''s Fortnox source to read its'
        || ' books from the SIE files; leave the file out of the SIE folder if the year is'
        || ' not wanted' as suggested_action
    from unused
)

select * from final
