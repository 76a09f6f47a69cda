{{ config(enabled=ledgerbridge_source('tryton')
    and (ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))) }}
-- One row per row of a monthly inventory voucher (lagerförändring) the books lack: for each
-- inventory account (the warehouses it holds, seed warehouse_inventory_accounts) and each
-- month after the last one whose stock voucher is booked, the change in the ERP's stock
-- value that month, on the inventory account against the stock change account.
--
-- A stock voucher is one that books an inventory account against a stock change account
-- (BAS 4900–4999). The last one shows how the company books them: the counter account, its
-- cost centre and project, and the series are taken from it. A company that has never
-- booked one keeps its stock some other way (each sale's cost booked as it goes) and gets
-- none. As the bookkeeper does, the change in the ERP's value is booked, not the difference
-- to the ledger: a write-down booked in the ledger alone stays a finding
-- (inventory_value_mismatch) for a person to resolve. Every month after the last booked one
-- that the books hold a fiscal year for is here; the reverse ETL plans those that have ended
-- (today is the engine's to know, never the model's).
with

compared as (
    select * from {{ ref('rpt_inventory_vs_ledger') }}
),

entries as (
    select * from {{ ref('fct_gl_entries') }}
),

inventory_accounts as (
    select distinct company_id, account_number
    from {{ ref('warehouse_inventory_accounts') }}
),

change_rows as (
    select voucher_id, account_number, cost_centre_code, project_code
    from entries
    where account_number between '4900' and '4999'
),

stock_vouchers as (
    select
        entries.company_id,
        entries.account_number,
        entries.period_start,
        entries.voucher_series,
        change_rows.account_number as change_account,
        change_rows.cost_centre_code,
        change_rows.project_code,
        row_number() over (
            partition by entries.company_id, entries.account_number
            order by entries.voucher_date desc, entries.voucher_id desc
        ) as recency
    from entries
    inner join inventory_accounts
        on inventory_accounts.company_id = entries.company_id
        and inventory_accounts.account_number = entries.account_number
    inner join change_rows on change_rows.voucher_id = entries.voucher_id
),

last_booked as (
    select * from stock_vouchers where recency = 1
),

months as (
    select
        compared.*,
        lag(compared.stock_value) over (
            partition by compared.company_id, compared.account_number
            order by compared.period_start
        ) as previous_value
    from compared
),

due as (
    select
        months.company_id,
        months.account_number,
        months.warehouse_codes,
        months.period_start,
        months.period_end,
        last_booked.voucher_series,
        last_booked.change_account,
        last_booked.cost_centre_code,
        last_booked.project_code,
        months.stock_value - coalesce(months.previous_value, 0) as change_amount
    from months
    inner join last_booked
        on last_booked.company_id = months.company_id
        and last_booked.account_number = months.account_number
    where months.period_start > last_booked.period_start
        and months.stock_value <> coalesce(months.previous_value, 0)
),

voucher_rows as (
    select
        *,
        1 as row_number,
        account_number as row_account,
        cast(null as {{ dbt.type_string() }}) as row_cost_centre,
        cast(null as {{ dbt.type_string() }}) as row_project,
        change_amount as amount
    from due
    union all
    select
        *,
        2 as row_number,
        change_account as row_account,
        cost_centre_code as row_cost_centre,
        project_code as row_project,
        -change_amount as amount
    from due
),

final as (
    select
        -- keys
        company_id,
        account_number as inventory_account,
        period_start,
        row_number,
        -- dates
        period_end,
        -- descriptions
        voucher_series,
        'Lagerförändring ' || warehouse_codes || ' '
        || left(cast(period_start as {{ dbt.type_string() }}), 7) as voucher_text,
        -- dimensions
        row_account as account_number,
        row_cost_centre as cost_centre_code,
        row_project as project_code,
        -- amounts (debit positive)
        {{ money('amount') }} as amount
    from voucher_rows
)

select * from final
