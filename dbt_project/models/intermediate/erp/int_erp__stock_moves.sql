{{ config(enabled=ledgerbridge_source('tryton'), materialized='view') }}
-- One row per done stock move and warehouse it enters or leaves, quantity signed (+ in, − out)
-- and valued at the cost in force when it happened. Moves inside one warehouse (input →
-- storage → output) change neither its quantity nor its value and are left out; a move
-- between two warehouses has a row for each. The cost is the one Tryton wrote on the move
-- (cost_basis 'move'); moves within storage (transfers, through the transit location or not)
-- carry none and take the item's cost in force on their date from the ERP's cost history
-- (cost_basis 'cost_history'), never today's product cost price, so history stays put when a
-- cost changes; an item no move has ever costed falls back to the product's cost price
-- ('product_cost_price'). A view: fct_stock_movements reads only the moves landed since its
-- last build.
with

moves as (
    select * from {{ ref('stg_tryton__stock_moves') }}
),

locations as (
    select * from {{ ref('stg_tryton__locations') }}
),

products as (
    select * from {{ ref('stg_tryton__products') }}
),

cost_history as (
    select * from {{ ref('int_inventory__item_cost_history') }}
),

directions as (
    select 1 as direction
    union all
    select -1 as direction
),

placed as (
    select
        moves.*,
        source.warehouse_id as from_warehouse_id,
        source.location_type as from_location_type,
        target.warehouse_id as to_warehouse_id,
        target.location_type as to_location_type
    from moves
    left join locations as source
        on source.company_id = moves.company_id and source.location_id = moves.from_location_id
    left join locations as target
        on target.company_id = moves.company_id and target.location_id = moves.to_location_id
),

-- each move once per warehouse it enters (+1) and leaves (−1), with the location on the
-- other side
sides as (
    select
        placed.*,
        directions.direction,
        case when directions.direction = 1 then placed.to_warehouse_id
            else placed.from_warehouse_id end as warehouse_id,
        case when directions.direction = 1 then placed.from_location_type
            else placed.to_location_type end as other_location_type,
        case when directions.direction = 1 then placed.from_warehouse_id
            else placed.to_warehouse_id end as other_warehouse_id
    from placed
    cross join directions
    where placed.from_warehouse_id is distinct from placed.to_warehouse_id
),

valued as (
    select
        sides.*,
        case
            when sides.unit_cost is not null then 'move'
            when cost_history.unit_cost is not null then 'cost_history'
            else 'product_cost_price'
        end as cost_basis,
        coalesce(sides.unit_cost, cost_history.unit_cost, products.cost_price) as move_unit_cost,
        products.item_number,
        {{ dbt.split_part('sides.origin', "','", 1) }} as origin_model
    from sides
    left join cost_history
        on sides.unit_cost is null
        and cost_history.company_id = sides.company_id
        and cost_history.product_id = sides.product_id
        and sides.move_date >= cost_history.applies_from
        and (cost_history.valid_to is null or sides.move_date < cost_history.valid_to)
    left join products
        on products.company_id = sides.company_id and products.product_id = sides.product_id
    where sides.warehouse_id is not null
),

final as (
    select
        -- keys
        valued.company_id,
        'tryton' as source_system,
        valued.move_id as source_id,
        warehouses.location_code as warehouse_code,
        -- dates
        valued.move_date,
        -- dimensions
        valued.product_id,
        valued.item_number,
        case
            when valued.other_warehouse_id is not null or valued.other_location_type = 'storage'
                then 'internal_transfer'
            when valued.other_location_type = 'supplier' then 'receipt'
            when valued.other_location_type = 'customer' then 'delivery'
            else 'adjustment'
        end as move_type,
        case
            when valued.origin_model = 'sale.line' then 'sale'
            when valued.origin_model = 'purchase.line' then 'purchase'
            when valued.origin_model = 'stock.inventory.line' then 'inventory'
            when valued.shipment like 'stock.shipment.internal,%' then 'internal_shipment'
        end as source_document_type,
        -- the Tryton record behind the move, as "model,id": the sale or purchase line, the
        -- inventory line, else the shipment
        case
            when valued.origin_model in ('sale.line', 'purchase.line', 'stock.inventory.line')
                then valued.origin
            else coalesce(valued.shipment, valued.origin)
        end as source_reference,
        valued.cost_basis,
        -- amounts
        cast(valued.direction * valued.quantity as decimal(18, 4)) as quantity,
        cast(valued.move_unit_cost as decimal(18, 4)) as unit_cost,
        {{ money('valued.direction * valued.quantity * valued.move_unit_cost') }} as stock_value,
        -- lineage
        valued.fetched_at as loaded_at
    from valued
    left join locations as warehouses
        on warehouses.company_id = valued.company_id
        and warehouses.location_id = valued.warehouse_id
)

select * from final
