{{ config(enabled=ledgerbridge_source('sie')) }}
-- One row per voucher.
with

source as (
    select * from {{ source('raw_sie', 'vouchers') }}
),

current_files as (
    select file_sha256 from {{ ref('stg_sie__files') }} where is_current
),

final as (
    select
        -- keys
        {{ sie_voucher_id() }} as voucher_id,
        company_id,
        fiscal_year_start,
        voucher_series,
        voucher_number,
        voucher_occurrence,
        -- dates
        voucher_date,
        registered_on,
        -- descriptions
        voucher_text,
        file_sha256 as source_file_sha256
    from source
    where source.file_sha256 in (select file_sha256 from current_files)
)

select * from final
