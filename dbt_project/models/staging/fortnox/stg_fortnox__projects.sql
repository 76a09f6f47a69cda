{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per project (projekt, SIE dimension 6).
with

source as (
    select * from {{ source('raw_fortnox', 'projects') }}
),

final as (
    select
        company_id,
        project_number as project_code,
        description as project_name,
        status as project_status,
        start_date,
        end_date,
        project_leader
    from source
)

select * from final
