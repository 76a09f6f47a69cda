{#- Regular expressions: DuckDB (RE2) and PostgreSQL (ARE) agree on the classes used here
    (\s, \S, [^0-9], groups, anchors); their function names differ. regexp_replace(s, p, r,
    'g') is the same in both and needs no macro. -#}

{#- Whether `string` contains a match of `pattern`. -#}
{% macro regexp_like(string, pattern) -%}
    {{ return(adapter.dispatch('regexp_like')(string, pattern)) }}
{%- endmacro %}

{% macro duckdb__regexp_like(string, pattern) -%}
    regexp_matches({{ string }}, {{ pattern }})
{%- endmacro %}

{% macro default__regexp_like(string, pattern) -%}
    ({{ string }} ~ {{ pattern }})
{%- endmacro %}

{#- The `group`th capture group of the first match of `pattern` in `string`. Call it on
    strings that match (DuckDB gives '' where there is no match, PostgreSQL null). -#}
{% macro regexp_extract(string, pattern, group) -%}
    {{ return(adapter.dispatch('regexp_extract')(string, pattern, group)) }}
{%- endmacro %}

{% macro duckdb__regexp_extract(string, pattern, group) -%}
    regexp_extract({{ string }}, {{ pattern }}, {{ group }})
{%- endmacro %}

{% macro default__regexp_extract(string, pattern, group) -%}
    (regexp_match({{ string }}, {{ pattern }}))[{{ group }}]
{%- endmacro %}
