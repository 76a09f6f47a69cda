{#- Three CTEs of a balance check that compares two figures at a series of dates per company
    (`compared`: company_id, `date_column`, `difference`, where 0 means they agree):
    `latest` (each company's last date), `last_agreed` (its last date without a difference)
    and `since` (the first date after that: since when the difference at `latest` has stood).
    Emitted as "name as (...)," for a model's with-list. -#}
{% macro difference_since(compared, date_column, difference) -%}
latest as (
    select company_id, max({{ date_column }}) as {{ date_column }}
    from {{ compared }}
    group by company_id
),

last_agreed as (
    select company_id, max({{ date_column }}) as {{ date_column }}
    from {{ compared }}
    where {{ difference }} = 0
    group by company_id
),

since as (
    select {{ compared }}.company_id, min({{ compared }}.{{ date_column }}) as {{ date_column }}
    from {{ compared }}
    left join last_agreed on last_agreed.company_id = {{ compared }}.company_id
    where last_agreed.{{ date_column }} is null
        or {{ compared }}.{{ date_column }} > last_agreed.{{ date_column }}
    group by {{ compared }}.company_id
),
{%- endmacro %}
