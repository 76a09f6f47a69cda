{{ config(enabled=ledgerbridge_source('tryton') and ledgerbridge_source('fortnox')) }}
-- One row per customer or supplier whose record in the ERP (Tryton) differs from the
-- company's Fortnox register in a field the accounting system owns
-- (int_reverse_etl__field_owners: by default none; [reverse_etl.field_owners] in the
-- configuration moves a field there). The written fields carry the register's values, null
-- where left as the ERP has them; the before_ columns are the ERP's now. Compared as the
-- master-data check compares them (macros/party_keys.sql). The supplier register as landed
-- has no street, so a supplier's street is neither compared nor written. Only companies whose
-- books are in Fortnox.
with

ownership as (
    select
        object as party_role,
        count(case when field = 'name' then 1 end) > 0 as owns_name,
        count(case when field = 'organisation_number' then 1 end) > 0 as owns_orgnr,
        count(case when field = 'address' then 1 end) > 0 as owns_address
    from {{ ref('int_reverse_etl__field_owners') }}
    where owner = 'accounting'
    group by object
),

books_in_fortnox as (
    select company_id from {{ ref('int_ledger__companies') }}
    where source_system = 'fortnox'
),

erp_parties as (
    select parties.*
    from {{ ref('int_erp__parties') }} as parties
    inner join books_in_fortnox on books_in_fortnox.company_id = parties.company_id
),

register as (
    select
        company_id,
        'customer' as party_role,
        customer_number as party_number,
        customer_name as party_name,
        organisation_number,
        address1 as street,
        zip_code as postal_code,
        city,
        true as has_street
    from {{ ref('stg_fortnox__customers') }}
    union all
    select
        company_id,
        'supplier',
        supplier_number,
        supplier_name,
        organisation_number,
        cast(null as {{ dbt.type_string() }}),
        zip_code,
        city,
        false
    from {{ ref('stg_fortnox__suppliers') }}
),

findings as (
    select finding_id, company_id, document_type, document
    from {{ ref('rec_findings') }}
    where kind = 'master_data_mismatch'
),

compared as (
    select
        erp_parties.*,
        register.party_name as register_name,
        register.organisation_number as register_orgnr,
        register.street as register_street,
        register.postal_code as register_postal_code,
        register.city as register_city,
        register.has_street,
        ownership.owns_name
        and {{ text_key('register.party_name') }}
        is distinct from {{ text_key('erp_parties.party_name') }} as name_differs,
        ownership.owns_orgnr
        and {{ orgnr_key('register.organisation_number') }}
        is distinct from {{ orgnr_key('erp_parties.orgnr') }} as orgnr_differs,
        ownership.owns_address
        and (
            (
                register.has_street
                and {{ text_key('register.street') }}
                is distinct from {{ text_key('erp_parties.street') }}
            )
            or {{ postal_code_key('register.postal_code') }}
            is distinct from {{ postal_code_key('erp_parties.postal_code') }}
            or {{ text_key('register.city') }} is distinct from {{ text_key('erp_parties.city') }}
        ) as address_differs
    from erp_parties
    inner join ownership on ownership.party_role = erp_parties.party_role
    inner join register
        on register.company_id = erp_parties.company_id
        and register.party_role = erp_parties.party_role
        and register.party_number = erp_parties.party_number
),

final as (
    select
        -- keys
        compared.company_id,
        compared.party_role,
        compared.party_number,
        compared.source_id as erp_party_id,
        findings.finding_id,
        -- the values written (null: left as the ERP has it)
        case when compared.name_differs then compared.register_name end as party_name,
        case when compared.orgnr_differs then compared.register_orgnr end as organisation_number,
        case when compared.address_differs and compared.has_street then compared.register_street
        end as street,
        case when compared.address_differs then compared.register_postal_code end as postal_code,
        case when compared.address_differs then compared.register_city end as city,
        -- the ERP's values now (the preview's "before")
        compared.party_name as before_name,
        compared.orgnr as before_orgnr,
        compared.street as before_street,
        compared.postal_code as before_postal_code,
        compared.city as before_city
    from compared
    left join findings
        on findings.company_id = compared.company_id
        and findings.document_type = compared.party_role
        and findings.document = compared.party_number
    where compared.name_differs or compared.orgnr_differs or compared.address_differs
)

select * from final
