{#- Ordered picks within a group, which DuckDB and PostgreSQL spell differently. -#}

{#- The value of `value` on the row where `ordering` is greatest (arg_max) or least (arg_min)
    in the group, ignoring rows where either is null (DuckDB's arg_max/arg_min); `where`
    restricts the rows further, as an aggregate's filter clause would. Ties pick any one. -#}
{% macro arg_max(value, ordering, where=none) -%}
    {{ return(adapter.dispatch('arg_max')(value, ordering, where)) }}
{%- endmacro %}

{% macro arg_min(value, ordering, where=none) -%}
    {{ return(adapter.dispatch('arg_min')(value, ordering, where)) }}
{%- endmacro %}

{% macro duckdb__arg_max(value, ordering, where) -%}
    arg_max({{ value }}, {{ ordering }}){% if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro duckdb__arg_min(value, ordering, where) -%}
    arg_min({{ value }}, {{ ordering }}){% if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro default__arg_max(value, ordering, where) -%}
    {{ first_by(value, ordering ~ ' desc', _not_null_and(value, ordering, where)) }}
{%- endmacro %}

{% macro default__arg_min(value, ordering, where) -%}
    {{ first_by(value, ordering, _not_null_and(value, ordering, where)) }}
{%- endmacro %}

{% macro _not_null_and(value, ordering, where) -%}
    ({{ value }}) is not null and ({{ ordering }}) is not null{% if where %} and ({{ where }}){% endif %}
{%- endmacro %}

{#- The first `value` of the group's rows (those where `where` holds) in the order
    `order_by` (an order by list: "abs(amount) desc, code"); null where no row is left. -#}
{% macro first_by(value, order_by, where=none) -%}
    {{ return(adapter.dispatch('first_by')(value, order_by, where)) }}
{%- endmacro %}

{% macro duckdb__first_by(value, order_by, where) -%}
    first({{ value }} order by {{ order_by }}){% if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{#- PostgreSQL has no ordered first(): the first element of the ordered array. -#}
{% macro default__first_by(value, order_by, where) -%}
    (array_agg({{ value }} order by {{ order_by }}){% if where %} filter (where {{ where }}){% endif %})[1]
{%- endmacro %}
