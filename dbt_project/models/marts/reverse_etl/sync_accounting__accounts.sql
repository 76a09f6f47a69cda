{{ config(enabled=ledgerbridge_source('fortnox')
    and (ledgerbridge_source('tryton') or ledgerbridge_source('erp_files'))) }}
-- One row per account the ERP books invoices on in a fiscal year whose chart in the
-- company's Fortnox lacks it (the account_not_in_books finding), to create there in that
-- year's chart, named as the ERP names it. A company whose books are SIE files has the
-- finding only: its accounting program's chart is edited there.
with

books_in_fortnox as (
    select company_id from {{ ref('int_ledger__companies') }}
    where source_system = 'fortnox'
),

missing as (
    select * from {{ ref('int_rec__accounts_not_in_books') }}
),

findings as (
    select finding_id, company_id, document
    from {{ ref('rec_findings') }}
    where kind = 'account_not_in_books'
),

final as (
    select
        -- keys
        findings.finding_id,
        missing.company_id,
        missing.account_number,
        missing.fiscal_year_start,
        -- what to write
        coalesce(missing.account_name, 'Konto ' || missing.account_number) as account_name
    from missing
    inner join books_in_fortnox on books_in_fortnox.company_id = missing.company_id
    inner join findings
        on findings.company_id = missing.company_id
        and findings.document = missing.document
)

select * from final
