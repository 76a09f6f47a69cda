{#- The rows of a dimension sync (sync_accounting__cost_centres, sync_accounting__projects):
    one per cost centre or project (`dimension`: 'cost_centre' or 'project') that the ERP has
    and the company's Fortnox register lacks, to create there under its canonical code
    (dim_<dimension>, mapping seeds) with the ERP's name. An invoice or voucher naming a
    member Fortnox lacks is refused, so the member goes first. Only companies whose books are
    in Fortnox; members already there are left as they are (the accounting system's name
    wins, as in the dimensions). -#}
{% macro dimension_sync(dimension) -%}
with

members as (
    select * from {{ ref('dim_' ~ dimension) }}
),

books_in_fortnox as (
    select company_id from {{ ref('int_ledger__companies') }}
    where source_system = 'fortnox'
),

final as (
    select
        -- keys
        members.company_id,
        members.{{ dimension }}_code,
        -- what to write
        members.{{ dimension }}_name,
        members.erp_code
    from members
    inner join books_in_fortnox on books_in_fortnox.company_id = members.company_id
    where members.is_known_to_erp and not members.is_known_to_accounting
)

select * from final
{%- endmacro %}
