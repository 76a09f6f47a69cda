{{ config(enabled=ledgerbridge_source('sie')) }}
-- One row per company, fiscal year and account, as the accounting program's chart names it.
with

source as (
    select * from {{ source('raw_sie', 'accounts') }}
),

current_files as (
    select file_sha256 from {{ ref('stg_sie__files') }} where is_current
),

final as (
    select
        company_id,
        fiscal_year_start,
        account_number,
        account_name
    from source
    where source.file_sha256 in (select file_sha256 from current_files)
)

select * from final
