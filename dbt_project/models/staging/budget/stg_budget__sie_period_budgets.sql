{{ config(enabled=ledgerbridge_source('sie')) }}
-- One row per company, month, account, cost centre and project of the SIE files' #PBUDGET
-- rows, from the current export of each fiscal year (stg_sie__files), debit positive.
-- The row for the account as a whole ({}) is its budget; rows per object (cost centre,
-- dimension 1, and/or project, dimension 6) count only where the month has no row for the
-- whole account, so that a budget stated both ways is not counted twice. Rows on other
-- dimensions (SIE 2 kostnadsbärare and the like) are left out.
with

period_balances as (
    select * from {{ source('raw_sie_budget', 'period_balances') }}
    where balance_kind = 'PBUDGET'
),

current_files as (
    select file_sha256, file_name from {{ ref('stg_sie__files') }} where is_current
),

parsed as (
    select
        period_balances.company_id,
        period_balances.fiscal_year_start,
        cast(
            substring(period_balances.period, 1, 4) || '-'
            || substring(period_balances.period, 5, 2) || '-01' as date
        ) as period_start,
        period_balances.account_number,
        period_balances.object_key,
        -- "1:SALJ 6:P101": the object after "1:" and after "6:", each up to the next blank
        nullif({{ dbt.split_part(dbt.split_part("' ' || period_balances.object_key || ' '", "' 1:'", 2), "' '", 1) }}, '')
            as cost_centre_code,
        nullif({{ dbt.split_part(dbt.split_part("' ' || period_balances.object_key || ' '", "' 6:'", 2), "' '", 1) }}, '')
            as project_code,
        period_balances.amount,
        current_files.file_name,
        period_balances.file_sha256
    from period_balances
    inner join current_files
        on current_files.file_sha256 = period_balances.file_sha256
),

classified as (
    select
        *,
        case
            when object_key = '' then 'account'
            -- every object of the list is a cost centre or a project
            when (
                length(object_key)
                - length(replace(object_key, ':', ''))
            ) = (case when cost_centre_code is null then 0 else 1 end)
                + (case when project_code is null then 0 else 1 end)
                then 'object'
            else 'other_dimension'
        end as row_level
    from parsed
),

whole_accounts as (
    select distinct company_id, period_start, account_number
    from classified
    where row_level = 'account'
),

final as (
    select
        -- keys
        classified.company_id,
        classified.period_start,
        -- dimensions
        classified.account_number,
        classified.cost_centre_code,
        classified.project_code,
        -- amounts (debit positive)
        {{ money('sum(classified.amount)') }} as amount,
        -- lineage
        classified.file_name as budget_version,
        classified.file_sha256,
        cast(null as bigint) as source_line
    from classified
    left join whole_accounts
        on whole_accounts.company_id = classified.company_id
        and whole_accounts.period_start = classified.period_start
        and whole_accounts.account_number = classified.account_number
    where classified.row_level = 'account'
        or (classified.row_level = 'object' and whole_accounts.account_number is null)
    group by
        classified.company_id,
        classified.period_start,
        classified.account_number,
        classified.cost_centre_code,
        classified.project_code,
        classified.file_name,
        classified.file_sha256
)

select * from final
