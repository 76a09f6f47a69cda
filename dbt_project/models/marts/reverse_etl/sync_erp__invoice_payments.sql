{{ config(enabled=ledgerbridge_source('tryton') and ledgerbridge_source('fortnox')) }}
-- One row per customer invoice that the accounting system has been paid more for than the
-- ERP has recorded: the payment to record in the ERP (Tryton), so that sales sees what is
-- paid. The accounting system owns payments: its payments are summed per invoice and
-- compared with the ERP's; only what the ERP lacks is written, dated by the latest payment.
-- Only companies whose books are in Fortnox and whose ERP is Tryton.
with

books_in_fortnox as (
    select company_id from {{ ref('int_ledger__companies') }}
    where source_system = 'fortnox'
),

accounting_paid as (
    select
        company_id,
        document_number as invoice_number,
        sum(amount) as paid,
        max(payment_date) as last_payment_date,
        string_agg(payment_number, ', ' order by payment_number) as payment_numbers
    from {{ ref('stg_fortnox__invoice_payments') }}
    group by company_id, document_number
),

erp_paid as (
    select company_id, invoice_number, sum(amount) as paid
    from {{ ref('int_reskontra__erp_payments') }}
    where invoice_kind = 'customer' and source_system = 'tryton'
    group by company_id, invoice_number
),

erp_invoices as (
    select invoices.*
    from {{ ref('int_erp__invoices') }} as invoices
    inner join books_in_fortnox on books_in_fortnox.company_id = invoices.company_id
    where invoices.source_system = 'tryton' and invoices.invoice_kind = 'customer'
),

final as (
    select
        -- keys
        erp_invoices.company_id,
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
        and accounting_paid.invoice_number = erp_invoices.invoice_number
    left join erp_paid
        on erp_paid.company_id = erp_invoices.company_id
        and erp_paid.invoice_number = erp_invoices.invoice_number
    where accounting_paid.paid > coalesce(erp_paid.paid, 0)
)

select * from final
