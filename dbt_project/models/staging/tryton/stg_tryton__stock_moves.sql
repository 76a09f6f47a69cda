{{ config(enabled=ledgerbridge_source('tryton')) }}
-- One row per Tryton stock move that is done, with where it came from and went to.
with

moves as (
    select * from {{ source('raw_tryton', 'stock_moves') }} where deleted_at is null
),

final as (
    select
        company_id,
        id as move_id,
        product as product_id,
        quantity,
        from_location as from_location_id,
        to_location as to_location_id,
        effective_date as move_date,
        state,
        coalesce(cost_price, unit_price) as unit_cost,
        shipment,
        origin,
        -- when this version of the move was landed: what the incremental stock marts read from
        fetched_at
    from moves
    where state = 'done'
)

select * from final
