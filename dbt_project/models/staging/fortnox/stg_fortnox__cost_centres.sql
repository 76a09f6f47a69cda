{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per cost centre (kostnadsställe, SIE dimension 1).
with

source as (
    select * from {{ source('raw_fortnox', 'cost_centers') }}
),

final as (
    select
        company_id,
        code as cost_centre_code,
        description as cost_centre_name,
        coalesce(active, true) as is_active,
        note
    from source
)

select * from final
