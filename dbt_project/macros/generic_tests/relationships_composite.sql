{#- Every child row (whose last key column is set) has a parent with the same key columns;
    `relationships` for keys that include company_id. -#}
{% test relationships_composite(model, columns, to, to_columns=none) %}
{%- set parent_columns = to_columns or columns -%}
select child.*
-- model may be a filtered subquery (config where, macros/tested_rows.sql)
from (select * from {{ model }}) as child
left join {{ to }} as parent
    on {% for column in columns -%}
        child.{{ column }} = parent.{{ parent_columns[loop.index0] }}{% if not loop.last %} and {% endif %}
    {%- endfor %}
where child.{{ columns[-1] }} is not null
    and parent.{{ parent_columns[0] }} is null
{% endtest %}
