{{ config(enabled=ledgerbridge_source('tryton')
    and (ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))) }}
-- One row per company, item, warehouse and fiscal period: quantity and value at the period's
-- start, what came in and went out during it (signed: out is negative), and at its end. Every
-- period from the one holding the item's first movement in the warehouse to the last period
-- of the books, with no gaps (a month without movements repeats the balance). Values are the
-- movements' own values (fct_stock_movements: the cost in force when each happened), so a
-- later cost change leaves past balances as they were. Movements before the books' first
-- period are in that period's opening balance; movements after their last period are not in
-- this table. Periods are the fiscal periods of the books (calendar months).
with

movements as (
    select * from {{ ref('fct_stock_movements') }}
),

periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

books as (
    select
        company_id,
        min(period_start) as first_period_start,
        max(period_end) as last_period_end
    from periods
    group by company_id
),

dated as (
    select
        movements.company_id,
        movements.item_number,
        movements.warehouse_code,
        movements.move_date,
        movements.quantity,
        movements.stock_value,
        movements.move_date < books.first_period_start as is_before_books,
        case
            when movements.move_date < books.first_period_start then books.first_period_start
            else cast({{ dbt.date_trunc('month', 'movements.move_date') }} as date)
        end as period_start
    from movements
    inner join books
        on books.company_id = movements.company_id
        and movements.move_date <= books.last_period_end
),

monthly as (
    select
        company_id,
        item_number,
        warehouse_code,
        period_start,
        sum(case when is_before_books then quantity else 0 end) as quantity_before_books,
        sum(case when not is_before_books and quantity > 0 then quantity else 0 end)
            as quantity_in,
        sum(case when not is_before_books and quantity < 0 then quantity else 0 end)
            as quantity_out,
        sum(case when is_before_books then stock_value else 0 end) as value_before_books,
        sum(case when not is_before_books and quantity > 0 then stock_value else 0 end)
            as value_in,
        sum(case when not is_before_books and quantity < 0 then stock_value else 0 end)
            as value_out
    from dated
    group by company_id, item_number, warehouse_code, period_start
),

stock_places as (
    select company_id, item_number, warehouse_code, min(move_date) as first_move_date
    from dated
    group by company_id, item_number, warehouse_code
),

spine as (
    select
        stock_places.company_id,
        stock_places.item_number,
        stock_places.warehouse_code,
        periods.fiscal_year_start,
        periods.fiscal_period_number,
        periods.period_start,
        periods.period_end
    from stock_places
    inner join periods
        on periods.company_id = stock_places.company_id
        and periods.period_end >= stock_places.first_move_date
),

filled as (
    select
        spine.*,
        coalesce(monthly.quantity_in, 0) as quantity_in,
        coalesce(monthly.quantity_out, 0) as quantity_out,
        coalesce(monthly.value_in, 0) as value_in,
        coalesce(monthly.value_out, 0) as value_out,
        sum(
            coalesce(monthly.quantity_before_books, 0) + coalesce(monthly.quantity_in, 0)
            + coalesce(monthly.quantity_out, 0)
        ) over (
            partition by spine.company_id, spine.item_number, spine.warehouse_code
            order by spine.period_start
            rows between unbounded preceding and current row
        ) as closing_quantity,
        sum(
            coalesce(monthly.value_before_books, 0) + coalesce(monthly.value_in, 0)
            + coalesce(monthly.value_out, 0)
        ) over (
            partition by spine.company_id, spine.item_number, spine.warehouse_code
            order by spine.period_start
            rows between unbounded preceding and current row
        ) as closing_value
    from spine
    left join monthly
        on monthly.company_id = spine.company_id
        and monthly.item_number = spine.item_number
        and monthly.warehouse_code = spine.warehouse_code
        and monthly.period_start = spine.period_start
),

final as (
    select
        -- keys
        company_id,
        item_number,
        warehouse_code,
        period_start,
        -- dates
        period_end,
        fiscal_year_start,
        fiscal_period_number,
        -- quantities (signed: out is negative)
        cast(closing_quantity - quantity_in - quantity_out as decimal(18, 4)) as opening_quantity,
        cast(quantity_in as decimal(18, 4)) as quantity_in,
        cast(quantity_out as decimal(18, 4)) as quantity_out,
        cast(closing_quantity as decimal(18, 4)) as closing_quantity,
        -- amounts
        {{ money('closing_value - value_in - value_out') }} as opening_value,
        {{ money('value_in') }} as value_in,
        {{ money('value_out') }} as value_out,
        {{ money('closing_value') }} as closing_value
    from filled
)

select * from final
