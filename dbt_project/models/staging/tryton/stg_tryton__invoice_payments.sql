{{ config(enabled=ledgerbridge_source('tryton')) }}
-- One row per Tryton invoice and payment line paying it (the invoice's payment_lines: move
-- lines of a cash journal on the invoice's receivable or payable account), with the line's
-- date and amounts. A customer invoice is paid by a line's credit, a supplier invoice by its
-- debit.
with

invoices as (
    select * from {{ source('raw_tryton', 'invoices') }} where deleted_at is null
),

payments as (
    select * from {{ source('raw_tryton', 'payments') }} where deleted_at is null
),

invoice_lines as (
    select
        company_id,
        id as invoice_id,
        {{ unnest_json_integers('payment_lines') }} as move_line_id
    from invoices
    where payment_lines is not null
),

final as (
    select
        -- keys
        invoice_lines.company_id,
        invoice_lines.invoice_id,
        invoice_lines.move_line_id,
        -- dates
        payments.date as payment_date,
        -- amounts
        {{ money('payments.debit') }} as debit,
        {{ money('payments.credit') }} as credit,
        -- attributes
        payments.move as move_id,
        payments.party as party_id,
        payments.reconciliation as reconciliation_id
    from invoice_lines
    inner join payments
        on payments.company_id = invoice_lines.company_id
        and payments.id = invoice_lines.move_line_id
)

select * from final
