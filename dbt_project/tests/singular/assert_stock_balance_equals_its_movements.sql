{{ config(enabled=ledgerbridge_source('tryton')
    and (ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))) }}
-- fct_stock_balance_monthly against fct_stock_movements, per item and warehouse: the first
-- period's opening is every movement before it, the last period's closing every movement up
-- to its end, in quantity and value. Lists the places where either differs.
with

balances as (
    select
        *,
        row_number() over (
            partition by company_id, item_number, warehouse_code order by period_start
        ) as period_order,
        row_number() over (
            partition by company_id, item_number, warehouse_code order by period_start desc
        ) as period_order_from_end
    from {{ ref('fct_stock_balance_monthly') }}
),

bounds as (
    select
        company_id,
        item_number,
        warehouse_code,
        max(case when period_order = 1 then period_start end) as first_period_start,
        max(case when period_order = 1 then opening_quantity end) as opening_quantity,
        max(case when period_order = 1 then opening_value end) as opening_value,
        max(case when period_order_from_end = 1 then period_end end) as last_period_end,
        max(case when period_order_from_end = 1 then closing_quantity end) as closing_quantity,
        max(case when period_order_from_end = 1 then closing_value end) as closing_value
    from balances
    group by company_id, item_number, warehouse_code
),

summed as (
    select
        bounds.company_id,
        bounds.item_number,
        bounds.warehouse_code,
        coalesce(sum(case when movements.move_date < bounds.first_period_start
            then movements.quantity end), 0) as quantity_before,
        coalesce(sum(case when movements.move_date < bounds.first_period_start
            then movements.stock_value end), 0) as value_before,
        coalesce(sum(case when movements.move_date <= bounds.last_period_end
            then movements.quantity end), 0) as quantity_to_end,
        coalesce(sum(case when movements.move_date <= bounds.last_period_end
            then movements.stock_value end), 0) as value_to_end
    from bounds
    left join {{ ref('fct_stock_movements') }} as movements
        on movements.company_id = bounds.company_id
        and movements.item_number = bounds.item_number
        and movements.warehouse_code = bounds.warehouse_code
    group by bounds.company_id, bounds.item_number, bounds.warehouse_code
)

select
    bounds.*,
    summed.quantity_before,
    summed.value_before,
    summed.quantity_to_end,
    summed.value_to_end
from bounds
inner join summed
    on summed.company_id = bounds.company_id
    and summed.item_number = bounds.item_number
    and summed.warehouse_code = bounds.warehouse_code
where bounds.opening_quantity <> summed.quantity_before
    or bounds.opening_value <> summed.value_before
    or bounds.closing_quantity <> summed.quantity_to_end
    or bounds.closing_value <> summed.value_to_end
