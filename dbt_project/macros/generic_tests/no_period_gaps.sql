{#- Monthly rows with no month missing: within each partition, every row's period is the
    month after the previous row's. Fails for every row that follows a gap. -#}
{% test no_period_gaps(model, partition_by, period_column='period_start') %}
with

ordered as (
    select
        {{ partition_by | join(', ') }},
        {{ period_column }} as period_start,
        lag({{ period_column }}) over (
            partition by {{ partition_by | join(', ') }} order by {{ period_column }}
        ) as previous_period_start
    from {{ model }}
)

select *
from ordered
where previous_period_start is not null
    and period_start <> cast({{ dbt.dateadd('month', 1, 'previous_period_start') }} as date)
{% endtest %}
