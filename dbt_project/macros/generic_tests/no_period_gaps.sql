{#- Every group (partition_by) has a row for every month from its first to its last period,
    and none twice; with `spine` (a model with partition_by[0] and period_column, such as
    dim_fiscal_period), the last period of every group is the spine's last for that key. -#}
{% test no_period_gaps(model, partition_by, period_column='period_start', spine=none) %}
with

groups as (
    select
        {{ partition_by | join(', ') }},
        min({{ period_column }}) as first_period,
        max({{ period_column }}) as last_period,
        count(*) as periods,
        count(distinct {{ period_column }}) as distinct_periods
    from {{ model }}
    group by {{ partition_by | join(', ') }}
)

select
    groups.*,
    'gap or duplicate' as problem
from groups
where groups.periods <> groups.distinct_periods
    or groups.periods <> {{ dbt.datediff('groups.first_period', 'groups.last_period', 'month') }} + 1
{%- if spine is not none %}
union all
select
    groups.*,
    'ends before the books do' as problem
from groups
inner join (
    select {{ partition_by[0] }}, max({{ period_column }}) as spine_last_period
    from {{ spine }}
    group by {{ partition_by[0] }}
) as spine_ends
    on spine_ends.{{ partition_by[0] }} = groups.{{ partition_by[0] }}
where groups.last_period <> spine_ends.spine_last_period
{%- endif %}
{% endtest %}
