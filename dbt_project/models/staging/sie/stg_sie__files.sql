{{ config(enabled=ledgerbridge_source('sie')) }}
-- One row per loaded SIE file, with whether it is the current export of its company and fiscal
-- year: the one generated last (#GEN), and of two from the same day the one loaded last. Only
-- the current export's rows count; an older export's rows never mix in, even where the newer
-- export has none (no balances, say) to replace them with.
with

source as (
    select * from {{ source('raw_sie', 'files') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by company_id, fiscal_year_start
            order by generated_on desc nulls last, loaded_at desc
        ) as recency
    from source
),

final as (
    select
        -- keys
        file_sha256,
        company_id,
        fiscal_year_start,
        -- dates
        generated_on,
        loaded_at,
        -- attributes
        file_name,
        program,
        sie_type,
        encoding,
        vouchers,
        voucher_rows,
        recency = 1 as is_current
    from ranked
)

select * from final
