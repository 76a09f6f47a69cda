{#- The parts of the books (a company's fiscal year, or all of a company's years) whose raw
    vouchers changed since the last build that passed, as a condition on company_id and
    fiscal_year_start; '' when every part must be read (decisions 0034 and 0035).

    `ledgerbridge build` sets LEDGERBRIDGE_CHANGED_PARTITIONS (JSON: [[company, year start or
    null], …]) only in a build after new data: the project is the one the last passing build
    ran, and what that build read is unchanged outside those parts. Every other build (the
    first, one after a failed build or a changed project, `ledgerbridge dbt …` by hand) has
    no such variable, and reads and checks everything. -#}
{% macro changed_partitions_condition(prefix='') -%}
    {%- set changed = env_var('LEDGERBRIDGE_CHANGED_PARTITIONS', '') -%}
    {%- if not changed -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for company, year_start in fromjson(changed) -%}
        {%- set company_is = prefix ~ "company_id = '" ~ company | replace("'", "''") ~ "'" -%}
        {%- if year_start is none -%}
            {%- do parts.append('(' ~ company_is ~ ')') -%}
        {%- else -%}
            {%- do parts.append('(' ~ company_is ~ ' and ' ~ prefix ~ "fiscal_year_start = cast('"
                ~ year_start | replace("'", "''") ~ "' as date))") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return('(' ~ (parts | join(' or ') if parts else 'false') ~ ')') -%}
{%- endmacro %}

{#- The ledger layer's tables (int_ledger__voucher_rows, int_ledger__vouchers) are kept per
    part of the books (decision 0035). An incremental build first drops the parts whose raw
    vouchers changed (every part when it cannot know which), then appends them as they now
    are. -#}
{% macro forget_changed_partitions() -%}
    {%- set changed = changed_partitions_condition() -%}
    delete from {{ this }}{% if changed %} where {{ changed }}{% endif %}
{%- endmacro %}

{#- Then drops the rows of a company whose system of record is no longer the one they were
    read from (int_ledger__companies): a company with SIE files whose Fortnox data appears,
    or one whose books are gone. -#}
{% macro forget_companies_not_of_record() -%}
    delete from {{ this }} as kept
    where not exists (
        select 1
        from {{ ref('int_ledger__companies') }} as companies
        where companies.company_id = kept.company_id
            and companies.source_system = kept.source_system
    )
{%- endmacro %}

{#- The condition on the rows a ledger-layer table reads in an incremental build: those of
    the changed parts; `true` in any other build. -#}
{% macro in_changed_partitions(prefix='') -%}
    {%- set changed = changed_partitions_condition(prefix) if is_incremental() else '' -%}
    {{- changed if changed else 'true' -}}
{%- endmacro %}
