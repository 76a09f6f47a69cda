-- One row per voucher.
with

source as (
    select * from {{ source('raw_sie', 'vouchers') }}
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
)

select * from final
