{#- Fails for every group whose column does not sum to exactly zero: vouchers, trial balances. -#}
{% test zero_sum(model, column_name, group_by) %}
select
    {{ group_by | join(', ') }},
    sum({{ column_name }}) as off_by
from {{ model }}
group by {{ group_by | join(', ') }}
having sum({{ column_name }}) <> 0
{% endtest %}
