{{ config(enabled=ledgerbridge_source('tryton')) }}
-- One row per Tryton sale line, with the cost centre and project of its analytic entries
-- (the analytic roots coded "1" and "6", as SIE numbers those dimensions).
with

lines as (
    select * from {{ source('raw_tryton', 'sale_lines') }} where deleted_at is null
),

analytic as (
    select
        entries.company_id,
        cast({{ dbt.split_part('entries.origin', "','", 2) }} as bigint) as line_id,
        roots.code as root_code,
        accounts.code as object_code
    from {{ source('raw_tryton', 'analytic_entries') }} as entries
    inner join {{ source('raw_tryton', 'analytic_accounts') }} as accounts
        on accounts.company_id = entries.company_id and accounts.id = entries.account
    inner join {{ source('raw_tryton', 'analytic_accounts') }} as roots
        on roots.company_id = entries.company_id and roots.id = entries.root
    where entries.deleted_at is null
        and entries.origin like 'sale.line,%'
),

final as (
    select
        -- keys
        lines.company_id,
        lines.id as sale_line_id,
        lines.sale as sale_id,
        lines.sequence,
        -- dimensions
        lines.product as product_id,
        cost_centre.object_code as cost_centre,
        project.object_code as project,
        -- amounts
        lines.quantity,
        lines.unit_price,
        {{ money('lines.amount') }} as net_amount,
        -- descriptions
        lines.description
    from lines
    left join analytic as cost_centre
        on cost_centre.company_id = lines.company_id
        and cost_centre.line_id = lines.id
        and cost_centre.root_code = '1'
    left join analytic as project
        on project.company_id = lines.company_id
        and project.line_id = lines.id
        and project.root_code = '6'
    where lines.type = 'line'
)

select * from final
