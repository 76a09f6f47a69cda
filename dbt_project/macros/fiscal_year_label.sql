{#- "2024" for a calendar fiscal year, "2024/25" for a broken one (July–June and the like). -#}
{% macro fiscal_year_label(start_column, end_column) -%}
    case
        when extract(year from {{ start_column }}) = extract(year from {{ end_column }})
            then cast(extract(year from {{ start_column }}) as {{ dbt.type_string() }})
        else cast(extract(year from {{ start_column }}) as {{ dbt.type_string() }})
            || '/'
            || right(cast(extract(year from {{ end_column }}) as {{ dbt.type_string() }}), 2)
    end
{%- endmacro %}
