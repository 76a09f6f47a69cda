{{ config(enabled=(ledgerbridge_source('fortnox') or ledgerbridge_source('tryton') or ledgerbridge_source('erp_files')) and (ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))) }}
-- One row per fiscal period end and supplier invoice open at the end of that day, aged as of
-- it (int_reskontra__open_items_monthly: never as of today). Amounts as on the payables
-- account (debit positive, so an unpaid invoice is negative): their sum per company and
-- period end is what 2440 should hold.
with

open_items as (
    select * from {{ ref('int_reskontra__open_items_monthly') }}
    where invoice_kind = 'supplier'
),

final as (
    select
        -- keys
        company_id,
        period_end,
        party_number as supplier_number,
        supplier_invoice_number,
        document_number,
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
        -- amounts (as on the payables account)
        {{ money('-gross_amount') }} as gross_amount,
        {{ money('-paid_amount') }} as paid_amount,
        {{ money('-open_amount') }} as open_amount
    from open_items
)

select * from final
