{%- set ledger = ledgerbridge_source('sie') or ledgerbridge_source('fortnox') -%}
{{ config(enabled=ledgerbridge_source('bank') and (ledgerbridge_source('fortnox') or ledgerbridge_source('tryton') or ledgerbridge_source('erp_files'))) }}
-- One row per booked bank statement entry and reskontra payment it is matched to, one to one.
-- A payment matches an entry when the entry's structured reference (OCR) names the invoice
-- — its OCR number, or its number (the supplier's own for a supplier invoice) followed by a
-- check digit — the amounts agree to the öre (money in for a customer payment, out for a
-- supplier payment) and the dates are at most var('bank_match_window_days', 5) days apart.
-- Where several qualify, the nearest dates win, each entry and each payment used once.
with

entries as (
    select
        company_id,
        account_id as bank_account,
        statement_id as statement_reference,
        entry_index,
        booking_date,
        amount,
        creditor_references
    from {{ ref('stg_bank__entries') }}
    where is_booked and not is_reversal
),

payments as (
    select * from {{ ref('int_reskontra__payments') }}
),

invoices as (
    select * from {{ ref('int_reskontra__invoices') }}
),

-- the keys an entry's reference may name an invoice by: the whole reference, and the
-- reference without its last digit (an OCR number made of the invoice number and a check
-- digit)
entry_keys as (
    select company_id, bank_account, statement_reference, entry_index, booking_date, amount,
        creditor_references as reference_key
    from entries
    where creditor_references is not null
    -- the two keys of one entry differ (one is a character shorter): nothing to deduplicate
    union all
    select company_id, bank_account, statement_reference, entry_index, booking_date, amount,
        left(creditor_references, length(creditor_references) - 1) as reference_key
    from entries
    where length(creditor_references) > 1
),

invoice_keys as (
    select company_id, invoice_kind, document_number, ocr as reference_key
    from invoices
    where ocr is not null
    union
    select company_id, invoice_kind, document_number,
        case when invoice_kind = 'customer' then document_number else supplier_invoice_number end
            as reference_key
    from invoices
),

-- each payment under every key its invoice may be named by, with the amount as the bank
-- shows it: money in for a customer's payment, out for a payment to a supplier (joined to
-- the entries on key and amount together: joining on the amount first paired every entry
-- with every payment of its amount, the slowest part of the reskontra at a million rows)
payment_keys as (
    select
        payments.company_id,
        invoice_keys.reference_key,
        case
            when payments.invoice_kind = 'customer' then payments.amount else -payments.amount
        end as bank_amount,
        payments.invoice_kind,
        payments.document_number,
        payments.payment_number,
        payments.payment_date
    from payments
    inner join invoice_keys
        on invoice_keys.company_id = payments.company_id
        and invoice_keys.invoice_kind = payments.invoice_kind
        and invoice_keys.document_number = payments.document_number
),

candidates as (
    select distinct
        entry_keys.company_id,
        entry_keys.bank_account,
        entry_keys.statement_reference,
        entry_keys.entry_index,
        payment_keys.invoice_kind,
        payment_keys.document_number,
        payment_keys.payment_number,
        payment_keys.payment_date,
        abs({{ dbt.datediff('payment_keys.payment_date', 'entry_keys.booking_date', 'day') }})
            as days_apart
    from entry_keys
    inner join payment_keys
        on payment_keys.company_id = entry_keys.company_id
        and payment_keys.reference_key = entry_keys.reference_key
        and payment_keys.bank_amount = entry_keys.amount
    where abs({{ dbt.datediff('payment_keys.payment_date', 'entry_keys.booking_date', 'day') }})
        <= {{ var('bank_match_window_days', 5) }}
),

ranked as (
    select
        candidates.*,
        row_number() over (
            partition by company_id, bank_account, statement_reference, entry_index
            order by days_apart, payment_date, invoice_kind, document_number, payment_number
        ) as entry_rank,
        row_number() over (
            partition by company_id, invoice_kind, payment_number
            order by days_apart, statement_reference, entry_index
        ) as payment_rank
    from candidates
),

final as (
    select
        -- keys
        company_id,
        bank_account,
        statement_reference,
        entry_index,
        invoice_kind,
        document_number,
        payment_number,
        -- dates
        payment_date,
        -- match quality
        days_apart
    from ranked
    where entry_rank = 1 and payment_rank = 1
)

select * from final
