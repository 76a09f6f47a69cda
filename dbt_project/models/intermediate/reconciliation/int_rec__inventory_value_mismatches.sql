{{ config(enabled=(ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))
    and ledgerbridge_source('tryton')) }}
-- One row per inventory account whose balance differs from the ERP's value of the stock of
-- its warehouses (seed warehouse_inventory_accounts) at the company's latest period end
-- (finding kind inventory_value_mismatch; the document is the warehouse code, or the codes
-- of the warehouses sharing the account). Compared as of every period end of the books'
-- fiscal years up to the one holding the latest voucher, never current_date: the ERP's value
-- is every done move up to that day valued at cost (int_erp__stock_moves), the ledger's the
-- fiscal year's opening balance plus the vouchers dated up to that day. Compared exactly:
-- both are sums of öre amounts and the inventory voucher books the ERP's value, so any
-- difference is stock booked on one side only. A difference since corrected is not a finding.
with

mapping as (
    select * from {{ ref('warehouse_inventory_accounts') }}
),

moves as (
    select * from {{ ref('int_erp__stock_moves') }}
),

periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

balances as (
    select * from {{ ref('int_ledger__balances') }} where balance_kind = 'IB'
),

voucher_rows as (
    select * from {{ ref('int_ledger__voucher_rows') }}
),

vouchers as (
    select * from {{ ref('int_ledger__vouchers') }}
),

accounts as (
    select
        company_id,
        account_number,
        string_agg(warehouse_code, ', ' order by warehouse_code) as warehouse_codes
    from mapping
    group by company_id, account_number
),

-- the period ends the books have reached (the latest voucher on or after them): the open
-- month is not compared, as its stock voucher is booked at its end and until then the ERP's
-- moves would show as a difference that is none
period_ends as (
    select periods.company_id, periods.fiscal_year_start, periods.period_end
    from periods
    inner join (
        select company_id, max(voucher_date) as last_voucher_date
        from vouchers
        group by company_id
    ) as latest
        on latest.company_id = periods.company_id
        and periods.period_end <= latest.last_voucher_date
),

erp_values as (
    select
        period_ends.company_id,
        mapping.account_number,
        period_ends.period_end,
        sum(moves.stock_value) as erp_value
    from period_ends
    inner join mapping on mapping.company_id = period_ends.company_id
    inner join moves
        on moves.company_id = mapping.company_id
        and moves.warehouse_code = mapping.warehouse_code
        and moves.move_date <= period_ends.period_end
    group by period_ends.company_id, mapping.account_number, period_ends.period_end
),

ledger_changes as (
    select
        period_ends.company_id,
        voucher_rows.account_number,
        period_ends.period_end,
        sum(voucher_rows.amount) as amount
    from period_ends
    inner join voucher_rows
        on voucher_rows.company_id = period_ends.company_id
        and voucher_rows.fiscal_year_start = period_ends.fiscal_year_start
    inner join vouchers on vouchers.voucher_id = voucher_rows.voucher_id
    inner join accounts
        on accounts.company_id = voucher_rows.company_id
        and accounts.account_number = voucher_rows.account_number
    where vouchers.voucher_date <= period_ends.period_end
    group by period_ends.company_id, voucher_rows.account_number, period_ends.period_end
),

compared as (
    select
        accounts.company_id,
        accounts.account_number,
        accounts.warehouse_codes,
        period_ends.period_end,
        coalesce(erp_values.erp_value, 0) as erp_value,
        coalesce(balances.amount, 0) + coalesce(ledger_changes.amount, 0) as ledger_value
    from accounts
    inner join period_ends on period_ends.company_id = accounts.company_id
    left join erp_values
        on erp_values.company_id = accounts.company_id
        and erp_values.account_number = accounts.account_number
        and erp_values.period_end = period_ends.period_end
    left join balances
        on balances.company_id = accounts.company_id
        and balances.account_number = accounts.account_number
        and balances.fiscal_year_start = period_ends.fiscal_year_start
    left join ledger_changes
        on ledger_changes.company_id = accounts.company_id
        and ledger_changes.account_number = accounts.account_number
        and ledger_changes.period_end = period_ends.period_end
),

summarised as (
    select
        company_id,
        account_number,
        warehouse_codes,
        max(period_end) as as_of,
        {{ arg_max('erp_value', 'period_end') }} as erp_value,
        {{ arg_max('ledger_value', 'period_end') }} as ledger_value,
        max(period_end) filter (where erp_value = ledger_value) as last_agreed
    from compared
    group by company_id, account_number, warehouse_codes
),

differing as (
    select
        summarised.*,
        (
            select min(compared.period_end)
            from compared
            where compared.company_id = summarised.company_id
                and compared.account_number = summarised.account_number
                and compared.period_end > coalesce(summarised.last_agreed, cast('0001-01-01' as date))
        ) as differs_since
    from summarised
    where erp_value <> ledger_value
),

final as (
    select
        company_id,
        'inventory_value_mismatch' as kind,
        warehouse_codes as document,
        'high' as severity,
        'as of ' || cast(as_of as {{ dbt.type_string() }}) || ' the ERP values the stock of '
        || warehouse_codes || ' at ' || cast({{ money('erp_value') }} as {{ dbt.type_string() }})
        || ' and account ' || account_number || ' holds '
        || cast({{ money('ledger_value') }} as {{ dbt.type_string() }}) || ' (difference '
        || cast({{ money('erp_value - ledger_value') }} as {{ dbt.type_string() }})
        || ', at every period end since ' || cast(differs_since as {{ dbt.type_string() }})
        || ')' as details,
        'Find the stock booked on one side only (a stocktaking difference, a write-down, a'
        || ' move not invoiced): adjust the ERP stock of ' || warehouse_codes
        || ' with an inventory, or book the difference on account ' || account_number
            as suggested_action
    from differing
)

select * from final
