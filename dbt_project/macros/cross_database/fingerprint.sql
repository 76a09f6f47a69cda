{#- A fingerprint of what a group of rows holds, as text, for telling whether it changed
    since it was last read: the sum of a 64-bit hash of each row's `columns` (a list of
    expressions). A sum does not depend on row order, and a hash per row is several times
    cheaper than concatenating the group's rows in order and hashing the string (measured:
    0.2 s against 1.8 s for a million ledger rows). Include a column that tells the rows
    apart (a row number): two rows swapping their values must change it. Not stable across
    database versions: a new hash function only makes the next incremental build read
    everything once. -#}
{% macro fingerprint_sum(columns) -%}
    cast({{ hash_sum(columns) }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- The same as a number (DuckDB hugeint, PostgreSQL numeric): a multiset's signature, equal
    for two groups holding the same rows in any order, and comparable. -#}
{% macro hash_sum(columns) -%}
    sum({{ row_hash(columns) }})
{%- endmacro %}

{#- A 64-bit hash of one row's `columns`; nulls hash as themselves (not as empty text). -#}
{% macro row_hash(columns) -%}
    {{ return(adapter.dispatch('row_hash')(columns)) }}
{%- endmacro %}

{% macro duckdb__row_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{#- A row value's text form keeps nulls apart from empty strings: (a,,"") -#}
{% macro default__row_hash(columns) -%}
    hashtextextended(cast(row({{ columns | join(', ') }}) as text), 0)
{%- endmacro %}
