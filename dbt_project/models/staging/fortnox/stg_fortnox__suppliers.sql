{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per Fortnox supplier (leverantör), with how it is paid.
with

source as (
    select * from {{ source('raw_fortnox', 'suppliers') }}
),

final as (
    select
        -- keys
        company_id,
        supplier_number,
        -- attributes
        name as supplier_name,
        organisation_number,
        regexp_replace(coalesce(organisation_number, ''), '[^0-9]', '', 'g') as orgnr_digits,
        coalesce(active, true) as is_active,
        bankgiro,
        plusgiro,
        bank_account,
        iban,
        bic,
        currency,
        terms_of_payment,
        country_code,
        zip_code,
        city,
        email,
        fetched_at
    from source
)

select * from final
