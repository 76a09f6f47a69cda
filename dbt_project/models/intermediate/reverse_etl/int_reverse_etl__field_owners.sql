-- One row per master-data object and field: which side owns it, and so which way the
-- reverse ETL writes it. The seed reverse_etl_field_owners holds the defaults; the
-- configuration's [reverse_etl.field_owners] (the dbt var field_owners, whose values the
-- configuration checks against a fixed list) overrides them field by field.
{%- set configured = var('field_owners', []) %}
with

seeded as (
    select object, field, owner from {{ ref('reverse_etl_field_owners') }}
),

configured as (
    {%- for row in configured %}
    select
        cast('{{ row.object }}' as {{ dbt.type_string() }}) as object,
        cast('{{ row.field }}' as {{ dbt.type_string() }}) as field,
        cast('{{ row.owner }}' as {{ dbt.type_string() }}) as owner
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as object,
        cast(null as {{ dbt.type_string() }}) as field,
        cast(null as {{ dbt.type_string() }}) as owner
    where 1 = 0
    {%- endfor %}
),

final as (
    select
        coalesce(configured.object, seeded.object) as object,
        coalesce(configured.field, seeded.field) as field,
        coalesce(configured.owner, seeded.owner) as owner,
        configured.owner is not null as is_configured
    from seeded
    full outer join configured
        on configured.object = seeded.object
        and configured.field = seeded.field
)

select * from final
