{{ config(enabled=ledgerbridge_source('tryton')) }}
-- One row per Tryton invoice, customer (type out) or supplier (type in).
with

invoices as (
    select * from {{ source('raw_tryton', 'invoices') }} where deleted_at is null
),

final as (
    select
        company_id,
        id as invoice_id,
        case type when 'out' then 'customer' when 'in' then 'supplier' end as invoice_kind,
        number as invoice_number,
        reference,
        description,
        party as party_id,
        invoice_date,
        accounting_date,
        state,
        {{ money('untaxed_amount') }} as net_amount,
        {{ money('tax_amount') }} as vat_amount,
        {{ money('total_amount') }} as total_amount,
        {{ money('amount_to_pay') }} as amount_to_pay
    from invoices
)

select * from final
