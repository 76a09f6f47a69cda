-- One row per company, fiscal year, balance kind and account, for account-level balances
-- (IB opening, UB closing, RES result); balances per object (OIB/OUB) are left for later marts.
with

source as (
    select * from {{ source('raw_sie', 'balances') }}
),

final as (
    select
        company_id,
        fiscal_year_start,
        balance_kind,
        account_number,
        {{ money('amount') }} as amount
    from source
    where object_key = ''
)

select * from final
