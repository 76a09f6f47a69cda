{{ config(
    enabled=ledgerbridge_source('tryton'),
    materialized='incremental',
    incremental_strategy='merge',
    unique_key=['company_id', 'move_id', 'warehouse_code'],
    on_schema_change='fail',
    post_hook=[
        "delete from {{ this }} where not exists (
            select 1 from {{ ref('int_erp__stock_moves') }} as moves
            where moves.company_id = {{ this }}.company_id
                and moves.source_id = {{ this }}.move_id
                and moves.warehouse_code = {{ this }}.warehouse_code
        )"
    ],
) }}
-- One row per done stock move and warehouse it enters (+) or leaves (−): item, date, signed
-- quantity, the unit cost in force when it happened and the value; move type (receipt,
-- delivery, internal_transfer, adjustment) and the source document (sale, purchase,
-- inventory, internal_shipment).
--
-- Incremental, merged on (company_id, move_id, warehouse_code). A build reads the moves landed
-- since the latest loaded_at it holds: new moves, and new versions of known ones (Tryton
-- changes a move until it is done, and even a done move's cost when costs are recomputed).
-- Moves priced from the cost history (transfers) are re-read for every item whose history a
-- landed or a vanished costed move may have changed. A row whose move is no longer done (a
-- done move cancelled, a record deleted) is removed by the post-hook. A full refresh gives
-- the same table.
with

moves as (
    select * from {{ ref('int_erp__stock_moves') }}
),

{% if is_incremental() %}

existing as (
    select * from {{ this }}
),

watermark as (
    select coalesce(max(loaded_at), cast('1900-01-01 00:00:00+00' as timestamp with time zone))
        as loaded_at
    from existing
),

landed as (
    select moves.*
    from moves
    inner join watermark on moves.loaded_at > watermark.loaded_at
),

vanished as (
    select existing.company_id, existing.item_number
    from existing
    left join moves
        on moves.company_id = existing.company_id
        and moves.source_id = existing.move_id
        and moves.warehouse_code = existing.warehouse_code
    where moves.source_id is null
),

-- items whose cost history may have changed: a costed move landed or vanished
recosted_items as (
    select company_id, item_number from landed where cost_basis = 'move'
    union
    select company_id, item_number from vanished
),

recosted as (
    select moves.*
    from moves
    inner join recosted_items
        on recosted_items.company_id = moves.company_id
        and recosted_items.item_number = moves.item_number
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
    select
        -- keys
        company_id,
        source_id as move_id,
        warehouse_code,
        -- dates
        move_date,
        -- dimensions
        item_number,
        move_type,
        source_document_type,
        source_reference,
        cost_basis,
        source_system,
        -- amounts
        quantity,
        unit_cost,
        stock_value,
        -- lineage
        loaded_at
    from changed
)

select * from final
