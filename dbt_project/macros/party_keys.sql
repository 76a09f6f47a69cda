{#- How a party's fields are compared between the ERP and an accounting system's register:
    tolerant only of how registers write the same thing. Used by the master-data check
    (int_rec__master_data_mismatches) and the sync that corrects the register
    (sync_accounting__customers), so that a pushed record is one the check accepts. -#}

{#- names, streets and cities: ignoring case and repeated spaces; empty is none -#}
{% macro text_key(column) -%}
    nullif(lower(trim(regexp_replace(coalesce({{ column }}, ''), '\s+', ' ', 'g'))), '')
{%- endmacro %}

{#- organisation numbers by their digits ("556781-3711" = "5567813711") -#}
{% macro orgnr_key(column) -%}
    nullif(regexp_replace(coalesce({{ column }}, ''), '[^0-9]', '', 'g'), '')
{%- endmacro %}

{#- postal codes without spaces ("111 20" = "11120") -#}
{% macro postal_code_key(column) -%}
    nullif(regexp_replace(coalesce({{ column }}, ''), '\s', '', 'g'), '')
{%- endmacro %}
