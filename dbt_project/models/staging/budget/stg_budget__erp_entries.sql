{{ config(enabled=ledgerbridge_source('erp_files')) }}
-- One row per company, month, account, cost centre and project of the ERP export's budget
-- (the JSON Lines export's budget entity), debit positive.
with

budget as (
    select * from {{ source('raw_erp_files_budget', 'budget') }}
),

final as (
    select
        -- keys
        company_id,
        cast(period || '-01' as date) as period_start,
        -- dimensions
        account as account_number,
        nullif(cost_centre, '') as cost_centre_code,
        nullif(project, '') as project_code,
        -- amounts (debit positive)
        {{ money('amount') }} as amount,
        -- lineage
        'erp budget ' || fiscal_year as budget_version,
        export_sha256 as file_sha256,
        source_line
    from budget
)

select * from final
