{#- The integers of a JSON array held as text ('[23, 45]'), one row each: a set-returning
    expression for a select list (an empty array gives no row). Tryton's one-to-many and
    many-to-many links are landed this way. -#}
{% macro unnest_json_integers(column) -%}
    {{ return(adapter.dispatch('unnest_json_integers')(column)) }}
{%- endmacro %}

{% macro default__unnest_json_integers(column) -%}
    cast(jsonb_array_elements_text(cast({{ column }} as jsonb)) as bigint)
{%- endmacro %}

{% macro duckdb__unnest_json_integers(column) -%}
    unnest(cast({{ column }} as bigint[]))
{%- endmacro %}
