{{ config(enabled=ledgerbridge_source('tryton') and ledgerbridge_source('fortnox')) }}
-- One row per customer or supplier invoice that the accounting system has paid (or been paid)
-- more for than the ERP has recorded: the payment to record in the ERP (Tryton), so that
-- sales and purchasing see what is paid. The accounting system owns payments: its payments
-- are summed per invoice and compared with the ERP's; only what the ERP lacks is written,
-- dated by the latest payment. A supplier invoice is known in Fortnox by Fortnox's own
-- number, and found in the ERP by the supplier and the supplier's invoice number (Tryton's
-- reference). Only companies whose books are in Fortnox and whose ERP is Tryton.
with

books_in_fortnox as (
    select company_id from {{ ref('int_ledger__companies') }}
    where source_system = 'fortnox'
),

customer_payments as (
    select
        company_id,
        'customer' as invoice_kind,
        document_number as invoice_key,
        amount,
        payment_date,
        payment_number
    from {{ ref('stg_fortnox__invoice_payments') }}
),

supplier_payments as (
    select
        payments.company_id,
        'supplier' as invoice_kind,
        invoices.supplier_number || '/' || invoices.supplier_invoice_number as invoice_key,
        payments.amount,
        payments.payment_date,
        payments.payment_number
    from {{ ref('stg_fortnox__supplier_invoice_payments') }} as payments
    inner join {{ ref('stg_fortnox__supplier_invoices') }} as invoices
        on invoices.company_id = payments.company_id
        and invoices.given_number = payments.given_number
),

accounting_paid as (
    select
        company_id,
        invoice_kind,
        invoice_key,
        sum(amount) as paid,
        max(payment_date) as last_payment_date,
        string_agg(payment_number, ', ' order by payment_number) as payment_numbers
    from (
        select * from customer_payments
        union all
        select * from supplier_payments
    ) as payments
    group by company_id, invoice_kind, invoice_key
),

erp_paid as (
    select company_id, invoice_kind, invoice_number, sum(amount) as paid
    from {{ ref('int_reskontra__erp_payments') }}
    where source_system = 'tryton'
    group by company_id, invoice_kind, invoice_number
),

erp_invoices as (
    select
        invoices.*,
        case invoices.invoice_kind
            when 'customer' then invoices.invoice_number
            else invoices.party_number || '/' || invoices.supplier_invoice_number
        end as invoice_key
    from {{ ref('int_erp__invoices') }} as invoices
    inner join books_in_fortnox on books_in_fortnox.company_id = invoices.company_id
    where invoices.source_system = 'tryton'
),

final as (
    select
        -- keys
        erp_invoices.company_id,
        erp_invoices.invoice_kind,
        erp_invoices.invoice_number,
        cast(erp_invoices.source_id as bigint) as erp_invoice_id,
        -- dates
        accounting_paid.last_payment_date as payment_date,
        -- attributes
        accounting_paid.payment_numbers,
        -- amounts
        {{ money('accounting_paid.paid - coalesce(erp_paid.paid, 0)') }} as amount_to_record,
        {{ money('accounting_paid.paid') }} as accounting_paid,
        {{ money('coalesce(erp_paid.paid, 0)') }} as erp_paid
    from erp_invoices
    inner join accounting_paid
        on accounting_paid.company_id = erp_invoices.company_id
        and accounting_paid.invoice_kind = erp_invoices.invoice_kind
        and accounting_paid.invoice_key = erp_invoices.invoice_key
    left join erp_paid
        on erp_paid.company_id = erp_invoices.company_id
        and erp_paid.invoice_kind = erp_invoices.invoice_kind
        and erp_paid.invoice_number = erp_invoices.invoice_number
    where accounting_paid.paid > coalesce(erp_paid.paid, 0)
)

select * from final
