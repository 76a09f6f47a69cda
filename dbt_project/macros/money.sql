{#- Money is decimal(18,2) everywhere, in SEK unless a column says otherwise. -#}
{% macro money(expression) -%}
    cast({{ expression }} as decimal(18, 2))
{%- endmacro %}
