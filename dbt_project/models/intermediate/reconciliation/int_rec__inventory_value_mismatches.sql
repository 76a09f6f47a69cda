{{ config(enabled=(ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))
    and ledgerbridge_source('tryton')) }}
-- One row per inventory account whose balance differs from the ERP's value of the stock of
-- its warehouses (seed warehouse_inventory_accounts) at the company's latest period end the
-- books have reached (finding kind inventory_value_mismatch; the document is the warehouse
-- code, or the codes of the warehouses sharing the account). The comparison is
-- rpt_inventory_vs_ledger's, at every period end up to the one holding the latest voucher
-- (never current_date; the open month's stock voucher is booked at its end). Compared
-- exactly: both are sums of öre amounts and the inventory voucher books the ERP's value, so
-- any difference is stock booked on one side only. A difference since corrected is not a
-- finding.
with

compared as (
    select * from {{ ref('rpt_inventory_vs_ledger') }}
    where books_reached
),

ranked as (
    select
        compared.*,
        row_number() over (
            partition by company_id, account_number order by period_end desc
        ) as recency
    from compared
),

last_agreed as (
    select
        company_id,
        account_number,
        max(case when difference = 0 then period_end end) as last_agreed
    from compared
    group by company_id, account_number
),

differing_since as (
    select
        compared.company_id,
        compared.account_number,
        min(compared.period_end) as differs_since
    from compared
    inner join last_agreed
        on last_agreed.company_id = compared.company_id
        and last_agreed.account_number = compared.account_number
    where last_agreed.last_agreed is null or compared.period_end > last_agreed.last_agreed
    group by compared.company_id, compared.account_number
),

differing as (
    select
        ranked.company_id,
        ranked.account_number,
        ranked.warehouse_codes,
        ranked.period_end as as_of,
        ranked.stock_value,
        ranked.account_balance,
        ranked.difference,
        differing_since.differs_since
    from ranked
    inner join differing_since
        on differing_since.company_id = ranked.company_id
        and differing_since.account_number = ranked.account_number
    where ranked.recency = 1 and ranked.difference <> 0
),

final as (
    select
        company_id,
        'inventory_value_mismatch' as kind,
        warehouse_codes as document,
        'high' as severity,
        'as of ' || cast(as_of as {{ dbt.type_string() }}) || ' the ERP values the stock of '
        || warehouse_codes || ' at ' || cast(stock_value as {{ dbt.type_string() }})
        || ' and account ' || account_number || ' holds '
        || cast(account_balance as {{ dbt.type_string() }}) || ' (difference '
        || cast(difference as {{ dbt.type_string() }})
        || ', at every period end since ' || cast(differs_since as {{ dbt.type_string() }})
        || ')' as details,
        'Find the stock booked on one side only (a stocktaking difference, a write-down, a'
        || ' move not invoiced): adjust the ERP stock of ' || warehouse_codes
        || ' with an inventory, or book the difference on account ' || account_number
            as suggested_action
    from differing
)

select * from final
