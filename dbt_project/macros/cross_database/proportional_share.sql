{#- `amount`'s share of `target` in the proportion amount : total, in öre, truncated toward
    zero: exact, where a division of decimals would go through a float in DuckDB. A caller
    that splits a target over several amounts gives the öre left over to one of them. -#}
{% macro proportional_share(amount, target, total) -%}
    {{ return(adapter.dispatch('proportional_share')(amount, target, total)) }}
{%- endmacro %}

{% macro duckdb__proportional_share(amount, target, total) -%}
    cast(
        cast(round({{ amount }} * 100) as hugeint) * cast(round({{ target }} * 100) as hugeint)
        // cast(round({{ total }} * 100) as hugeint)
        as decimal(18, 0)
    ) * cast(0.01 as decimal(3, 2))
{%- endmacro %}

{% macro default__proportional_share(amount, target, total) -%}
    div(
        round({{ amount }} * 100) * round({{ target }} * 100),
        round({{ total }} * 100)
    ) * 0.01
{%- endmacro %}
