{{ config(enabled=ledgerbridge_source('tryton')) }}
-- One row per Tryton invoice line, with the cost centre and project of its analytic entries
-- (the analytic roots coded "1" and "6", as SIE numbers those dimensions).
with

lines as (
    select * from {{ source('raw_tryton', 'invoice_lines') }} where deleted_at is null
),

accounts as (
    select * from {{ source('raw_tryton', 'accounts') }} where deleted_at is null
),

analytic as (
    select
        entries.company_id,
        cast(split_part(entries.origin, ',', 2) as bigint) as line_id,
        roots.code as root_code,
        accounts.code as object_code
    from {{ source('raw_tryton', 'analytic_entries') }} as entries
    join {{ source('raw_tryton', 'analytic_accounts') }} as accounts
        on accounts.company_id = entries.company_id and accounts.id = entries.account
    join {{ source('raw_tryton', 'analytic_accounts') }} as roots
        on roots.company_id = entries.company_id and roots.id = entries.root
    where entries.deleted_at is null
        and entries.origin like 'account.invoice.line,%'
),

final as (
    select
        lines.company_id,
        lines.id as invoice_line_id,
        lines.invoice as invoice_id,
        lines.sequence,
        lines.product as product_id,
        lines.quantity,
        lines.unit_price,
        {{ money('lines.amount') }} as net_amount,
        accounts.code as account_number,
        lines.description,
        cost_centre.object_code as cost_centre,
        project.object_code as project
    from lines
    left join accounts
        on accounts.company_id = lines.company_id and accounts.id = lines.account
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
