{{ config(enabled=ledgerbridge_source('sie')) }}
-- One row per company, fiscal year, balance kind and account, for account-level balances
-- (IB opening, UB closing, RES result); balances per object (OIB/OUB) are left for later marts.
with

source as (
    select * from {{ source('raw_sie', 'balances') }}
),

current_files as (
    select file_sha256 from {{ ref('stg_sie__files') }} where is_current
),

final as (
    select
        company_id,
        fiscal_year_start,
        balance_kind,
        account_number,
        {{ money('amount') }} as amount
    from source
    where source.file_sha256 in (select file_sha256 from current_files)
        and object_key = ''
)

select * from final
