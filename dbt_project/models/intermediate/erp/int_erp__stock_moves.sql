{{ config(enabled=ledgerbridge_source('tryton')) }}
-- Stock movements per warehouse: one row per done move and warehouse it enters or leaves,
-- quantity signed (+ in, − out) and valued at the move's cost. Moves inside one warehouse
-- (input → storage → output) change neither its quantity nor its value and are left out.
-- Tryton gives internal moves (transfers between warehouses) no cost: they are valued at the
-- product's cost price, as Tryton values its stock (fixed cost method), alike on both sides.
with

moves as (
    select * from {{ ref('stg_tryton__stock_moves') }}
),

locations as (
    select * from {{ ref('stg_tryton__locations') }}
),

placed as (
    select
        moves.*,
        source.warehouse_id as from_warehouse_id,
        target.warehouse_id as to_warehouse_id
    from moves
    left join locations as source
        on source.company_id = moves.company_id and source.location_id = moves.from_location_id
    left join locations as target
        on target.company_id = moves.company_id and target.location_id = moves.to_location_id
),

sides as (
    select *, to_warehouse_id as warehouse_id, 1 as direction
    from placed
    where to_warehouse_id is not null and to_warehouse_id is distinct from from_warehouse_id
    union all
    select *, from_warehouse_id, -1
    from placed
    where from_warehouse_id is not null and from_warehouse_id is distinct from to_warehouse_id
),

final as (
    select
        sides.company_id,
        'tryton' as source_system,
        sides.move_id as source_id,
        sides.move_date,
        items.item_number,
        warehouses.location_code as warehouse_code,
        cast(sides.direction * sides.quantity as decimal(18, 4)) as quantity,
        coalesce(sides.unit_cost, items.cost_price) as unit_cost,
        {{ money('sides.direction * sides.quantity * coalesce(sides.unit_cost, items.cost_price)') }}
            as stock_value
    from sides
    left join {{ ref('stg_tryton__products') }} as items
        on items.company_id = sides.company_id and items.product_id = sides.product_id
    left join locations as warehouses
        on warehouses.company_id = sides.company_id
        and warehouses.location_id = sides.warehouse_id
)

select * from final
