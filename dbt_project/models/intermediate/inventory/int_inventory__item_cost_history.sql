{{ config(enabled=ledgerbridge_source('tryton')) }}
-- One row per company, item and span of days during which one cost price was in force, as the
-- ERP recorded it. Tryton writes the cost price it values a move at on every done move that
-- crosses a warehouse's storage boundary (receipts, deliveries, inventories: stock.move
-- cost_price, else the purchase unit_price); moves inside storage (transfers) carry none and
-- are valued from these spans (int_erp__stock_moves). The product's own cost_price is today's
-- only, so it cannot say what a past move was worth. Several costs on one day: the last move's
-- (by id) is the day's. A span runs from valid_from to the day before valid_to (null: still
-- in force); the first span of an item also covers the days before it (applies_from).
with

moves as (
    select * from {{ ref('stg_tryton__stock_moves') }}
    where unit_cost is not null
),

products as (
    select * from {{ ref('stg_tryton__products') }}
),

ranked_in_day as (
    select
        company_id,
        product_id,
        move_date,
        unit_cost,
        row_number() over (
            partition by company_id, product_id, move_date order by move_id desc
        ) as rank_in_day
    from moves
),

daily as (
    select
        company_id,
        product_id,
        move_date,
        unit_cost,
        lag(unit_cost) over (partition by company_id, product_id order by move_date)
            as previous_cost
    from ranked_in_day
    where rank_in_day = 1
),

changes as (
    select company_id, product_id, move_date as valid_from, unit_cost
    from daily
    where previous_cost is null or previous_cost <> unit_cost
),

spans as (
    select
        company_id,
        product_id,
        valid_from,
        lead(valid_from) over (partition by company_id, product_id order by valid_from)
            as valid_to,
        row_number() over (partition by company_id, product_id order by valid_from)
            as span_number,
        unit_cost
    from changes
),

final as (
    select
        -- keys
        spans.company_id,
        spans.product_id,
        spans.valid_from,
        -- dates
        case when spans.span_number = 1 then cast('1900-01-01' as date) else spans.valid_from end
            as applies_from,
        spans.valid_to,
        -- dimensions
        products.item_number,
        spans.span_number,
        -- amounts
        spans.unit_cost
    from spans
    left join products
        on products.company_id = spans.company_id and products.product_id = spans.product_id
)

select * from final
