{{ config(enabled=ledgerbridge_source('budget')) }}
-- One row per company, month, account, cost centre and project of the budget CSV files, from
-- the file that holds the month now (a later file replaces an earlier one's months).
with

entries as (
    select * from {{ source('raw_budget', 'entries') }}
),

periods as (
    select * from {{ source('raw_budget', 'periods') }}
),

final as (
    select
        -- keys
        entries.company_id,
        cast(entries.period || '-01' as date) as period_start,
        -- dimensions
        entries.account_number,
        nullif(entries.cost_centre, '') as cost_centre_code,
        nullif(entries.project, '') as project_code,
        -- amounts (debit positive)
        {{ money('entries.amount') }} as amount,
        -- lineage
        periods.file_name as budget_version,
        entries.file_sha256,
        entries.source_line
    from entries
    inner join periods
        on periods.company_id = entries.company_id
        and periods.period = entries.period
        and periods.file_sha256 = entries.file_sha256
)

select * from final
