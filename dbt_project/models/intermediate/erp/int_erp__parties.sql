{{ config(enabled=ledgerbridge_source('tryton')) }}
-- Customers and suppliers as the ERP holds them, one row per company, role and party number.
-- A party is a customer when it has sales orders or customer invoices, a supplier when it has
-- purchase orders or supplier invoices; a party can be both.
with

parties as (
    select * from {{ ref('stg_tryton__parties') }}
),

roles as (
    select company_id, party_id, 'customer' as party_role from {{ ref('stg_tryton__sales') }}
    union
    select company_id, party_id, 'supplier' from {{ ref('stg_tryton__purchases') }}
    union
    select company_id, party_id, invoice_kind from {{ ref('stg_tryton__invoices') }}
),

final as (
    select
        parties.company_id,
        roles.party_role,
        'tryton' as source_system,
        parties.party_code as party_number,
        parties.party_name,
        parties.orgnr,
        parties.street,
        parties.postal_code,
        parties.city,
        parties.party_id as source_id
    from parties
    join roles on roles.company_id = parties.company_id and roles.party_id = parties.party_id
)

select * from final
