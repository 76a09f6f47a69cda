{{ config(enabled=(ledgerbridge_source('fortnox') or ledgerbridge_source('tryton') or ledgerbridge_source('erp_files')) and (ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))) }}
-- One row per fiscal period end and customer invoice open at the end of that day, aged as of
-- it (int_reskontra__open_items_monthly: never as of today). Amounts as on the receivables
-- account (debit positive): their sum per company and period end is what 1510 should hold.
with

open_items as (
    select * from {{ ref('int_reskontra__open_items_monthly') }}
    where invoice_kind = 'customer'
),

final as (
    select
        -- keys
        company_id,
        period_end,
        document_number as invoice_number,
        party_number as customer_number,
        -- dates
        fiscal_year_start,
        period_start,
        invoice_date,
        due_date,
        -- dimensions
        cost_centre_code,
        project_code,
        currency_code,
        days_overdue,
        aging_bucket,
        -- amounts
        gross_amount,
        paid_amount,
        open_amount
    from open_items
)

select * from final
