{#- The shared end of every dim_<member> model: members as each system knows them (a CTE with
    company_id, system, member_role 'erp' | 'accounting' | 'ledger', source_code, member_name,
    source_id), put under one canonical code through a mapping seed (company_id, system,
    source_code, canonical_code; a code not in the seed is its own canonical code), then one
    row per company and canonical code with the ERP's id and code, the accounting system's
    code, and which systems know the member. The accounting system's name wins over the ERP's. -#}
{% macro unified_dimension(members, code_map, code_column) -%}
mapped as (
    select
        {{ members }}.company_id,
        coalesce(code_map.canonical_code, {{ members }}.source_code) as canonical_code,
        {{ members }}.system,
        {{ members }}.member_role,
        {{ members }}.source_code,
        {{ members }}.member_name,
        cast({{ members }}.source_id as {{ dbt.type_string() }}) as source_id
    from {{ members }}
    left join {{ ref(code_map) }} as code_map
        on code_map.company_id = {{ members }}.company_id
        and code_map.system = {{ members }}.system
        and code_map.source_code = {{ members }}.source_code
    where {{ members }}.source_code is not null
),

unified as (
    select
        company_id,
        canonical_code,
        max(case when member_role = 'erp' then source_id end) as erp_id,
        max(case when member_role = 'erp' then source_code end) as erp_code,
        max(case when member_role = 'accounting' then source_code end) as accounting_code,
        max(case when member_role = 'ledger' then source_code end) as ledger_code,
        max(case when member_role = 'accounting' then member_name end) as accounting_name,
        max(case when member_role = 'erp' then member_name end) as erp_name,
        max(case when member_role = 'erp' then system end) as erp_system,
        max(case when member_role in ('accounting', 'ledger') then system end)
            as accounting_system,
        max(case when member_role = 'erp' then 1 else 0 end) = 1 as is_known_to_erp,
        max(case when member_role = 'accounting' then 1 else 0 end) = 1
            as is_known_to_accounting,
        max(case when member_role = 'ledger' then 1 else 0 end) = 1 as is_used_in_ledger
    from mapped
    group by company_id, canonical_code
),

final as (
    select
        -- keys
        company_id,
        canonical_code as {{ code_column }},
        -- attributes
        coalesce(accounting_name, erp_name, canonical_code) as {{ code_column | replace('_code', '') | replace('_number', '') }}_name,
        erp_system,
        erp_id,
        erp_code,
        accounting_system,
        coalesce(accounting_code, ledger_code) as accounting_code,
        is_known_to_erp,
        is_known_to_accounting,
        is_used_in_ledger
    from unified
)

select * from final
{%- endmacro %}
