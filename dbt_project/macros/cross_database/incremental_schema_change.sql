{#- An incremental model's schema check on PostgreSQL (dbt's diff_column_data_types, which
    on_schema_change='fail' relies on): a contract's varchar makes the table's column
    `character varying`, while the new rows' temporary table has `text` for the same string
    expression, and dbt would report the schema as changed on every incremental run. Both are
    PostgreSQL's unbounded string; only a real type change is reported. -#}
{% macro postgres__diff_column_data_types(source_columns, target_columns) %}
  {% set result = [] %}
  {% for sc in source_columns %}
    {% set tc = target_columns | selectattr("name", "equalto", sc.name) | list | first %}
    {% if tc
        and sc.expanded_data_type != tc.expanded_data_type
        and not sc.can_expand_to(other_column=tc)
        and not (ledgerbridge_unbounded_string(sc) and ledgerbridge_unbounded_string(tc)) %}
      {{ result.append({'column_name': tc.name, 'new_type': sc.expanded_data_type}) }}
    {% endif %}
  {% endfor %}
  {{ return(result) }}
{% endmacro %}

{% macro ledgerbridge_unbounded_string(column) %}
  {{ return(column.dtype | lower == 'text'
      or (column.dtype | lower in ('character varying', 'varchar') and column.char_size is none)) }}
{% endmacro %}
