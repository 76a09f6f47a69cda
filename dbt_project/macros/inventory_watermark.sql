{#- The latest loaded_at an incremental model holds, as a literal when the table exists (so
    that the database can filter the raw scan with it), else as a subquery (a unit test's
    fixture stands in for the table); 1900-01-01 when the table is empty. -#}
{% macro inventory_watermark(relation) -%}
    {%- set floor = "cast('1900-01-01 00:00:00+00' as timestamp with time zone)" -%}
    {%- if execute and relation is not string and load_relation(relation) is not none -%}
        {%- set latest = run_query('select max(loaded_at) from ' ~ relation).columns[0].values()[0] -%}
        {%- if latest is none -%}
            {{ floor }}
        {%- else -%}
            cast('{{ latest.isoformat() }}' as timestamp with time zone)
        {%- endif -%}
    {%- else -%}
        (select coalesce(max(loaded_at), {{ floor }}) from {{ relation }})
    {%- endif -%}
{%- endmacro %}
