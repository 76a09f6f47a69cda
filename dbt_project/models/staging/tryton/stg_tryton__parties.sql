{{ config(enabled=ledgerbridge_source('tryton')) }}
-- One row per Tryton party (customer, supplier or both), with its organisation number and
-- first address.
with

parties as (
    select * from {{ source('raw_tryton', 'parties') }} where deleted_at is null
),

-- A party may carry several identifiers (a VAT number, a foreign one): its organisation
-- number is the Swedish one (Tryton's type se_orgnr), else one of no stated type.
identifiers as (
    select
        company_id,
        party,
        code as orgnr,
        row_number() over (
            partition by company_id, party
            order by case when type = 'se_orgnr' then 0 else 1 end, id
        ) as position
    from {{ source('raw_tryton', 'party_identifiers') }}
    where deleted_at is null and (type = 'se_orgnr' or type is null)
),

addresses as (
    select
        company_id,
        party,
        street,
        postal_code,
        city,
        row_number() over (partition by company_id, party order by id) as position
    from {{ source('raw_tryton', 'addresses') }}
    where deleted_at is null and coalesce(active, true)
),

final as (
    select
        parties.company_id,
        parties.id as party_id,
        parties.code as party_code,
        parties.name as party_name,
        identifiers.orgnr,
        addresses.street,
        addresses.postal_code,
        addresses.city,
        coalesce(parties.active, true) as is_active
    from parties
    left join identifiers
        on identifiers.company_id = parties.company_id
        and identifiers.party = parties.id
        and identifiers.position = 1
    left join addresses
        on addresses.company_id = parties.company_id
        and addresses.party = parties.id
        and addresses.position = 1
)

select * from final
