{#- Which rows a data test checks (decision 0034).

    A build after new data checks only the rows the new data can have made wrong, for the
    tests where that is exact; every other build checks every row (the parts of the books the
    new data changed: macros/changed_partitions.sql). What the last passing build tested is
    unchanged, or changed only in those parts.

    A test opts in with `config: {meta: {tested_rows: …}}`:
    - `changed_years`: the rows of the changed parts. Exact where whatever the test finds
      lies within one company's fiscal year: a key that includes the voucher id (company |
      year start | series | number), a voucher that does not net to zero, a voucher row
      without its voucher.
    - `{written_now: <key column>}`: in a model incremental on vouchers (delete+insert on
      voucher_id, _batch_id naming the dbt invocation that wrote a row), every row sharing
      the key with a row this invocation wrote. The older rows were checked when they were
      written and have not changed since; a duplicate or a voucher that does not net to zero
      involves a row written now. -#}
{% macro get_where_subquery(relation) -%}
    {%- set filters = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do filters.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set scope = (config.get('meta') or {}).get('tested_rows') -%}
    {%- if scope -%}
        {%- set tested = tested_rows_filter(relation, scope) -%}
        {%- if tested -%}
            {%- do filters.append(tested) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if filters -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ filters | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- The condition a tested row meets, or '' for every row. The scope is checked in every
    build, so that a misspelt one fails where it is written, not in production's first build
    after new data. -#}
{% macro tested_rows_filter(relation, scope) -%}
    {%- set written_now = scope is mapping and scope.get('written_now') -%}
    {%- if scope != 'changed_years' and not written_now -%}
        {{ exceptions.raise_compiler_error(
            "meta tested_rows must be 'changed_years' or {written_now: <key column>}, not "
            ~ scope) }}
    {%- endif -%}
    {%- set changed = changed_partitions_condition() -%}
    {%- if not changed -%}
        {%- do return('') -%}
    {%- elif written_now -%}
        {%- do return(written_now ~ ' in (select ' ~ written_now ~ ' from ' ~ relation
            ~ " where _batch_id = '" ~ invocation_id ~ "')") -%}
    {%- else -%}
        {%- do return(changed) -%}
    {%- endif -%}
{%- endmacro %}
