{#- The rows of a register sync (sync_accounting__customers, sync_accounting__suppliers): one
    per party of `role` ('customer' or 'supplier') to write to the company's Fortnox register.
    A party the ERP has and the register lacks is created (operation create); one the
    register holds differently in a field the ERP owns is updated (operation update;
    int_reverse_etl__field_owners). The written fields carry the ERP's values, null where left
    as the register has them; the before_ columns are the register's values now. Compared as the
    master-data check compares them (macros/party_keys.sql), so once the register is written
    and read back, the party and its master_data_mismatch finding are gone. The supplier
    register as landed has no street: a supplier's street is written with the rest of its
    address but not compared, as the check does not compare it. Only companies whose books
    are in Fortnox. -#}
{% macro register_sync(role) -%}
{%- set register = 'stg_fortnox__customers' if role == 'customer' else 'stg_fortnox__suppliers' -%}
{%- set has_street = role == 'customer' -%}
with

owned as (
    select field from {{ ref('int_reverse_etl__field_owners') }}
    where object = '{{ role }}' and owner = 'erp'
),

ownership as (
    select
        count(case when field = 'name' then 1 end) > 0 as owns_name,
        count(case when field = 'organisation_number' then 1 end) > 0 as owns_orgnr,
        count(case when field = 'address' then 1 end) > 0 as owns_address
    from owned
),

books_in_fortnox as (
    select company_id from {{ ref('int_ledger__companies') }}
    where source_system = 'fortnox'
),

erp_parties as (
    select parties.*
    from {{ ref('int_erp__parties') }} as parties
    inner join books_in_fortnox on books_in_fortnox.company_id = parties.company_id
    where parties.party_role = '{{ role }}'
),

register as (
    select
        company_id,
        {{ role }}_number as party_number,
        {{ role }}_name as party_name,
        organisation_number,
        {% if has_street %}address1{% else %}cast(null as {{ dbt.type_string() }}){% endif %}
            as address1,
        zip_code,
        city
    from {{ ref(register) }}
),

findings as (
    select finding_id, company_id, document
    from {{ ref('rec_findings') }}
    where kind = 'master_data_mismatch' and document_type = '{{ role }}'
),

compared as (
    select
        erp_parties.*,
        register.party_number is null as is_new,
        register.party_name as before_name,
        register.organisation_number as before_orgnr,
        register.address1 as before_street,
        register.zip_code as before_postal_code,
        register.city as before_city,
        ownership.owns_name
        and {{ text_key('erp_parties.party_name') }}
        is distinct from {{ text_key('register.party_name') }} as name_differs,
        ownership.owns_orgnr
        and {{ orgnr_key('erp_parties.orgnr') }}
        is distinct from {{ orgnr_key('register.organisation_number') }} as orgnr_differs,
        ownership.owns_address
        and (
            {% if has_street -%}
            {{ text_key('erp_parties.street') }}
            is distinct from {{ text_key('register.address1') }} or
            {% endif -%}
            {{ postal_code_key('erp_parties.postal_code') }}
            is distinct from {{ postal_code_key('register.zip_code') }}
            or {{ text_key('erp_parties.city') }} is distinct from {{ text_key('register.city') }}
        ) as address_differs
    from erp_parties
    cross join ownership
    left join register
        on register.company_id = erp_parties.company_id
        and register.party_number = erp_parties.party_number
),

final as (
    select
        -- keys
        compared.company_id,
        compared.party_number as {{ role }}_number,
        findings.finding_id,
        -- what to do
        case when compared.is_new then 'create' else 'update' end as operation,
        -- the values written (null: left as the register has it)
        case when compared.is_new or compared.name_differs then compared.party_name end
            as {{ role }}_name,
        case when compared.orgnr_differs then compared.orgnr end as organisation_number,
        case when compared.address_differs then compared.street end as address1,
        case when compared.address_differs then compared.postal_code end as zip_code,
        case when compared.address_differs then compared.city end as city,
        -- the register's values now (the preview's "before")
        compared.before_name,
        compared.before_orgnr,
        compared.before_street,
        compared.before_postal_code,
        compared.before_city
    from compared
    left join findings
        on findings.company_id = compared.company_id
        and findings.document = compared.party_number
    where compared.is_new or compared.name_differs or compared.orgnr_differs
        or compared.address_differs
)

select * from final
{%- endmacro %}
