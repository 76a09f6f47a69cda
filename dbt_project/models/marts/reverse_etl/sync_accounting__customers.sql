{{ config(enabled=ledgerbridge_source('tryton') and ledgerbridge_source('fortnox')) }}
-- One row per customer to write to the company's Fortnox register: one the ERP has and the
-- register lacks (operation create), or one the register holds differently in a field the
-- ERP owns (operation update; seed reverse_etl_field_owners). The written fields carry the
-- ERP's values; a field left as it is is null. Compared as the master-data check compares
-- them (macros/party_keys.sql), so once the register is written and read back, the customer
-- and its master_data_mismatch finding are gone. Only companies whose books are in Fortnox.
with

owned as (
    select field from {{ ref('reverse_etl_field_owners') }}
    where object = 'customer' and owner = 'erp'
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

erp_customers as (
    select parties.*
    from {{ ref('int_erp__parties') }} as parties
    inner join books_in_fortnox on books_in_fortnox.company_id = parties.company_id
    where parties.party_role = 'customer'
),

register as (
    select * from {{ ref('stg_fortnox__customers') }}
),

findings as (
    select finding_id, company_id, document
    from {{ ref('rec_findings') }}
    where kind = 'master_data_mismatch' and document_type = 'customer'
),

compared as (
    select
        erp_customers.*,
        register.customer_number is null as is_new,
        register.customer_name as before_name,
        register.organisation_number as before_orgnr,
        register.address1 as before_street,
        register.zip_code as before_postal_code,
        register.city as before_city,
        ownership.owns_name
        and {{ text_key('erp_customers.party_name') }}
        is distinct from {{ text_key('register.customer_name') }} as name_differs,
        ownership.owns_orgnr
        and {{ orgnr_key('erp_customers.orgnr') }}
        is distinct from {{ orgnr_key('register.organisation_number') }} as orgnr_differs,
        ownership.owns_address
        and (
            {{ text_key('erp_customers.street') }}
            is distinct from {{ text_key('register.address1') }}
            or {{ postal_code_key('erp_customers.postal_code') }}
            is distinct from {{ postal_code_key('register.zip_code') }}
            or {{ text_key('erp_customers.city') }} is distinct from {{ text_key('register.city') }}
        ) as address_differs
    from erp_customers
    cross join ownership
    left join register
        on register.company_id = erp_customers.company_id
        and register.customer_number = erp_customers.party_number
),

final as (
    select
        -- keys
        compared.company_id,
        compared.party_number as customer_number,
        findings.finding_id,
        -- what to do
        case when compared.is_new then 'create' else 'update' end as operation,
        -- the values written (null: left as the register has it)
        case when compared.is_new or compared.name_differs then compared.party_name end
            as customer_name,
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
