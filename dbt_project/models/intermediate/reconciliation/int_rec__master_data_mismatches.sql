{%- set erp = ledgerbridge_source('tryton') -%}
{%- set einvoice = ledgerbridge_source('einvoice') -%}
{{ config(enabled=ledgerbridge_source('fortnox') and (erp or einvoice)) }}
-- One row per customer or supplier whose record in the accounting system's register differs
-- from what the company otherwise knows of it (finding kind master_data_mismatch). The
-- registers are Fortnox's: a company whose books are SIE files has none, and gets no such
-- findings. Compared, where the ERP is present: name, organisation number and address of the
-- parties the ERP and the register share by number (Fortnox's supplier register as landed has
-- no street, so a supplier's postal code and city only). Where e-invoices are present: the
-- account a supplier's latest e-invoice asks to be paid to, against the bankgiro, plusgiro,
-- bank account and IBAN of the register (the ERP holds no payment accounts).
--
-- Tolerant only of how registers write the same thing: organisation numbers and payment
-- accounts by their digits and letters ("556781-3711" = "5567813711", "5050-1055" =
-- "50501055"), postal codes without spaces ("111 20" = "11120"), names and addresses
-- ignoring case and repeated spaces.
with

{% if erp -%}
erp_parties as (
    select
        company_id,
        party_role,
        party_number,
        party_name,
        orgnr,
        street,
        postal_code,
        city,
        {{ text_key('party_name') }} as name_key,
        {{ orgnr_key('orgnr') }} as orgnr_key,
        {{ text_key('street') }} as street_key,
        {{ postal_code_key('postal_code') }} as postal_code_key,
        {{ text_key('city') }} as city_key
    from {{ ref('int_erp__parties') }}
),

register as (
    select
        company_id,
        'customer' as party_role,
        customer_number as party_number,
        customer_name as party_name,
        organisation_number as orgnr,
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

register_keys as (
    select
        *,
        {{ text_key('party_name') }} as name_key,
        {{ orgnr_key('orgnr') }} as orgnr_key,
        {{ text_key('street') }} as street_key,
        {{ postal_code_key('postal_code') }} as postal_code_key,
        {{ text_key('city') }} as city_key
    from register
),

compared as (
    select
        erp_parties.company_id,
        erp_parties.party_role,
        erp_parties.party_number,
        erp_parties.party_name,
        erp_parties.name_key is distinct from register_keys.name_key as name_differs,
        erp_parties.orgnr_key is distinct from register_keys.orgnr_key as orgnr_differs,
        (register_keys.has_street and erp_parties.street_key is distinct from register_keys.street_key)
        or erp_parties.postal_code_key is distinct from register_keys.postal_code_key
        or erp_parties.city_key is distinct from register_keys.city_key as address_differs,
        'name: ERP ' || coalesce(erp_parties.party_name, 'none') || '; accounting '
        || coalesce(register_keys.party_name, 'none') as name_text,
        'organisation number: ERP ' || coalesce(erp_parties.orgnr, 'none') || '; accounting '
        || coalesce(register_keys.orgnr, 'none') as orgnr_text,
        'address: ERP '
        || case when register_keys.has_street then coalesce(erp_parties.street, '') || ', ' else '' end
        || coalesce(erp_parties.postal_code, '') || ' ' || coalesce(erp_parties.city, '')
        || '; accounting '
        || case when register_keys.has_street then coalesce(register_keys.street, '') || ', ' else '' end
        || coalesce(register_keys.postal_code, '') || ' ' || coalesce(register_keys.city, '')
            as address_text
    from erp_parties
    inner join register_keys
        on register_keys.company_id = erp_parties.company_id
        and register_keys.party_role = erp_parties.party_role
        and register_keys.party_number = erp_parties.party_number
),

register_differences as (
    select
        company_id,
        party_role as document_type,
        party_number as document,
        case when orgnr_differs then 'medium' else 'low' end as severity,
        party_role || ' ' || party_number || ' ' || party_name || ' differs in '
        || concat_ws('; ',
            case when name_differs then name_text end,
            case when orgnr_differs then orgnr_text end,
            case when address_differs then address_text end
        ) as details,
        'Correct the accounting system''s ' || party_role || ' register from the ERP (the reverse'
        || ' ETL can push the ERP''s record), or the ERP if the register is right'
            as suggested_action
    from compared
    where name_differs or orgnr_differs or address_differs
),
{%- endif %}

{% if einvoice -%}
latest_payee_accounts as (
    select company_id, seller_legal_id, payee_account, document_id, issue_date
    from (
        select
            company_id,
            seller_legal_id,
            payee_account,
            document_id,
            issue_date,
            row_number() over (
                partition by company_id, seller_legal_id
                order by issue_date desc, document_id desc
            ) as recency
        from {{ ref('stg_einvoice__documents') }}
        where direction = 'incoming' and payee_account is not null
            and seller_legal_id is not null
    ) as documents
    where recency = 1
),

suppliers as (
    select
        *,
        regexp_replace(upper(coalesce(bankgiro, '')), '[^0-9A-Z]', '', 'g') as bankgiro_key,
        regexp_replace(upper(coalesce(plusgiro, '')), '[^0-9A-Z]', '', 'g') as plusgiro_key,
        regexp_replace(upper(coalesce(bank_account, '')), '[^0-9A-Z]', '', 'g')
            as bank_account_key,
        regexp_replace(upper(coalesce(iban, '')), '[^0-9A-Z]', '', 'g') as iban_key
    from {{ ref('stg_fortnox__suppliers') }}
),

-- the suppliers an e-invoice's seller may be (one company can have several supplier records)
-- and whether any of them holds the account it asks to be paid to: only when none does is it
-- a finding, for each of them
payees as (
    select
        latest.company_id,
        latest.seller_legal_id,
        latest.payee_account,
        latest.document_id,
        latest.issue_date,
        suppliers.supplier_number,
        regexp_replace(upper(latest.payee_account), '[^0-9A-Z]', '', 'g')
            in (suppliers.bankgiro_key, suppliers.plusgiro_key, suppliers.bank_account_key,
                suppliers.iban_key) as holds_account
    from latest_payee_accounts as latest
    inner join suppliers
        on suppliers.company_id = latest.company_id
        and suppliers.orgnr_digits = regexp_replace(latest.seller_legal_id, '[^0-9]', '', 'g')
),

unknown_payees as (
    select company_id, seller_legal_id
    from payees
    group by company_id, seller_legal_id
    having not max(case when holds_account then 1 else 0 end) = 1
),

payment_differences as (
    select
        suppliers.company_id,
        'supplier' as document_type,
        suppliers.supplier_number as document,
        'high' as severity,
        'supplier ' || suppliers.supplier_number || ' ' || suppliers.supplier_name
        || ' differs in payment account: its e-invoices (latest ' || payees.document_id || ' of '
        || cast(payees.issue_date as {{ dbt.type_string() }}) || ') ask to be paid to '
        || payees.payee_account || '; accounting has '
        || coalesce(
            nullif(concat_ws(', ',
                case when suppliers.bankgiro_key <> '' then 'bankgiro ' || suppliers.bankgiro end,
                case when suppliers.plusgiro_key <> '' then 'plusgiro ' || suppliers.plusgiro end,
                case when suppliers.bank_account_key <> '' then 'bank account ' || suppliers.bank_account end,
                case when suppliers.iban_key <> '' then 'IBAN ' || suppliers.iban end
            ), ''),
            'none'
        ) as details,
        'Confirm the account with the supplier through a contact you already know (not the'
        || ' invoice), then correct the supplier register before the next payment run'
            as suggested_action
    from payees
    inner join unknown_payees
        on unknown_payees.company_id = payees.company_id
        and unknown_payees.seller_legal_id = payees.seller_legal_id
    inner join suppliers
        on suppliers.company_id = payees.company_id
        and suppliers.supplier_number = payees.supplier_number
),
{%- endif %}

final as (
    {% if erp -%}
    select company_id, 'master_data_mismatch' as kind, document_type, document, severity,
        details, suggested_action
    from register_differences
    {%- endif %}
    {% if erp and einvoice %}
    union all
    {% endif %}
    {% if einvoice -%}
    select company_id, 'master_data_mismatch' as kind, document_type, document, severity,
        details, suggested_action
    from payment_differences
    {%- endif %}
)

select * from final
