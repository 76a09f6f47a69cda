{{ config(
    enabled=ledgerbridge_source('tryton'),
    materialized='incremental',
    incremental_strategy='merge',
    unique_key=['company_id', 'move_id', 'warehouse_code'],
    on_schema_change='fail',
    post_hook=[
        "delete from {{ this }} as movements where not exists (
            select 1 from {{ ref('stg_tryton__stock_moves') }} as done_moves
            where done_moves.company_id = movements.company_id
                and done_moves.move_id = movements.move_id
        )"
    ],
) }}
-- depends_on: {{ ref('stg_tryton__stock_moves') }}
-- One row per done stock move and warehouse it enters (+) or leaves (−): item, date, signed
-- quantity, the unit cost in force when it happened and the value; move type (receipt,
-- delivery, internal_transfer, adjustment) and the source document (sale, purchase,
-- inventory, internal_shipment).
--
-- Incremental, merged on (company_id, move_id, warehouse_code). A build reads the moves landed
-- since the latest loaded_at it holds: new moves, and new versions of known ones (Tryton
-- changes a move until it is done, and even a done move's cost when costs are recomputed).
-- Moves priced from the cost history (transfers) are read again for every item whose history
-- a landed or a vanished costed move may have changed, from the earliest day concerned. A
-- row whose move is no longer done (a done move cancelled, a record deleted) is removed by
-- the post-hook, which like the check for vanished moves reads staging's done moves: a done
-- move's locations no longer change. A full refresh gives the same table.
with

moves as (
    select * from {{ ref('int_erp__stock_moves') }}
),

{% if is_incremental() %}

existing as (
    select * from {{ this }}
),

landed as (
    select *
    from moves
    where loaded_at > {{ inventory_watermark(this) }}
),

vanished as (
    select existing.company_id, existing.item_number, existing.move_date
    from existing
    where not exists (
        select 1
        from {{ ref('stg_tryton__stock_moves') }} as done_moves
        where done_moves.company_id = existing.company_id
            and done_moves.move_id = existing.move_id
    )
),

-- where an item's cost history may have changed: from the day of a costed move that landed
-- (and the day it had before, if it moved) or vanished
cost_changes as (
    select company_id, item_number, move_date from landed where cost_basis = 'move'
    union all
    select existing.company_id, existing.item_number, existing.move_date
    from existing
    inner join landed
        on landed.company_id = existing.company_id
        and landed.source_id = existing.move_id
        and landed.warehouse_code = existing.warehouse_code
    where existing.cost_basis = 'move'
    union all
    select company_id, item_number, move_date from vanished
),

recosted_items as (
    select company_id, item_number, min(move_date) as recost_from
    from cost_changes
    group by company_id, item_number
),

recosted as (
    select moves.*
    from moves
    inner join recosted_items
        on recosted_items.company_id = moves.company_id
        and recosted_items.item_number = moves.item_number
        and moves.move_date >= recosted_items.recost_from
    where moves.cost_basis <> 'move'
),

changed as (
    select * from landed
    union
    select * from recosted
),

{% else %}

changed as (
    select * from moves
),

{% endif %}

final as (
    -- strings cast as the contract declares them, so that a merge finds the table's own types
    -- (PostgreSQL tells text from varchar)
    select
        -- keys
        cast(company_id as varchar) as company_id,
        source_id as move_id,
        cast(warehouse_code as varchar) as warehouse_code,
        -- dates
        move_date,
        -- dimensions
        cast(item_number as varchar) as item_number,
        cast(move_type as varchar) as move_type,
        cast(source_document_type as varchar) as source_document_type,
        cast(source_reference as varchar) as source_reference,
        cast(cost_basis as varchar) as cost_basis,
        cast(source_system as varchar) as source_system,
        -- amounts
        quantity,
        unit_cost,
        stock_value,
        -- lineage
        loaded_at
    from changed
)

select * from final
