{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per Fortnox customer (kund).
with

source as (
    select * from {{ source('raw_fortnox', 'customers') }}
),

final as (
    select
        -- keys
        company_id,
        customer_number,
        -- attributes
        name as customer_name,
        organisation_number,
        regexp_replace(coalesce(organisation_number, ''), '[^0-9]', '', 'g') as orgnr_digits,
        address1,
        address2,
        zip_code,
        city,
        email,
        phone,
        fetched_at
    from source
)

select * from final
