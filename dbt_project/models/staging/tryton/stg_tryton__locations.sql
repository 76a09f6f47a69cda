{{ config(enabled=ledgerbridge_source('tryton')) }}
-- One row per Tryton stock location, with the warehouse it belongs to (its nearest ancestor of
-- type warehouse, itself for a warehouse; none for supplier, customer, lost-and-found …).
with recursive

locations as (
    select * from {{ source('raw_tryton', 'locations') }} where deleted_at is null
),

ancestry (company_id, location_id, ancestor_id, ancestor_type, depth) as (
    select company_id, id, id, type, 0 from locations
    union all
    select ancestry.company_id, ancestry.location_id, parent.id, parent.type, ancestry.depth + 1
    from ancestry
    join locations as child
        on child.company_id = ancestry.company_id and child.id = ancestry.ancestor_id
    join locations as parent
        on parent.company_id = child.company_id and parent.id = child.parent
    where ancestry.ancestor_type != 'warehouse' and ancestry.depth < 20
),

warehouse_of as (
    select company_id, location_id, {{ arg_min('ancestor_id', 'depth') }} as warehouse_id
    from ancestry
    where ancestor_type = 'warehouse'
    group by company_id, location_id
),

final as (
    select
        locations.company_id,
        locations.id as location_id,
        locations.code as location_code,
        locations.name as location_name,
        locations.type as location_type,
        warehouse_of.warehouse_id
    from locations
    left join warehouse_of
        on warehouse_of.company_id = locations.company_id
        and warehouse_of.location_id = locations.id
)

select * from final
