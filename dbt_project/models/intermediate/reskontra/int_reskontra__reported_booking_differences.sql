{%- set ledger = ledgerbridge_source('sie') or ledgerbridge_source('fortnox') -%}
{%- set reskontra = ledgerbridge_source('fortnox') or ledgerbridge_source('tryton') or ledgerbridge_source('erp_files') -%}
{#- the invoice-level checks whose findings explain a control account's difference: the same
    conditions as their own `enabled` and rec_findings' list -#}
{%- set checks = ['int_rec__duplicate_bookings'] -%}
{%- if ledgerbridge_source('tryton') or ledgerbridge_source('erp_files') -%}
    {%- do checks.extend(['int_rec__invoices_not_booked', 'int_rec__invoice_amount_mismatches']) -%}
{%- endif -%}
{{ config(enabled=ledger and reskontra) }}
-- One row per invoice that an invoice-level finding already reports (invoice_not_booked,
-- amount_mismatch, duplicate_booking), control (receivables, payables, output VAT) and date on
-- which the books and the reskontra part for it: the rows its standing bookings put on the
-- control's accounts (on the voucher date) less what the reskontra says the invoice puts there
-- (on the invoice date), debit positive. Summed up to a date, it is the part of the control
-- account's difference that those findings explain, so that the control checks do not report
-- it a second time. A correct booking adds nothing; an invoice no finding reports is not here,
-- so its difference stays unexplained and the control check reports it.
with

findings as (
    {% for check in checks -%}
    select company_id, kind, document from {{ ref(check) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor -%}
),

reported as (
    select company_id, document, string_agg(kind, ', ' order by kind) as kinds
    from (select distinct company_id, kind, document from findings) as distinct_findings
    group by company_id, document
),

bookings as (
    select * from {{ ref('int_rec__invoice_bookings') }} where not is_reversed
),

voucher_rows as (
    select * from {{ ref('int_ledger__voucher_rows') }}
),

control_accounts as (
    select * from {{ ref('int_reskontra__control_accounts') }}
    where control in ('receivables', 'payables', 'output_vat')
),

invoices as (
    select * from {{ ref('int_reskontra__invoices') }}
),

-- what the standing bookings of a reported invoice put on each control
booked as (
    select
        bookings.company_id,
        control_accounts.control,
        bookings.invoice_kind,
        bookings.invoice_number as document_number,
        bookings.voucher_date as difference_date,
        sum(voucher_rows.amount) as amount
    from bookings
    inner join reported
        on reported.company_id = bookings.company_id
        and reported.document = bookings.invoice_number
    inner join voucher_rows
        on voucher_rows.voucher_id = bookings.voucher_id
    inner join control_accounts
        on control_accounts.company_id = voucher_rows.company_id
        and control_accounts.account_number = voucher_rows.account_number
    -- a customer invoice's booking is compared on receivables and output VAT, a supplier
    -- invoice's on payables
    where (bookings.invoice_kind = 'customer' and control_accounts.control <> 'payables')
        or (bookings.invoice_kind = 'supplier' and control_accounts.control = 'payables')
    group by 1, 2, 3, 4, 5
),

-- what the reskontra says a reported invoice puts on each control, negated
expected as (
    select
        invoices.company_id,
        'receivables' as control,
        invoices.invoice_kind,
        invoices.document_number,
        invoices.invoice_date as difference_date,
        -invoices.gross_amount as amount
    from invoices
    inner join reported
        on reported.company_id = invoices.company_id
        and reported.document = invoices.document_number
    where invoices.invoice_kind = 'customer'
    union all
    select
        invoices.company_id,
        'output_vat' as control,
        invoices.invoice_kind,
        invoices.document_number,
        invoices.invoice_date as difference_date,
        -- output VAT is a credit: the reskontra's VAT (invoice direction) negated, negated
        invoices.vat_amount as amount
    from invoices
    inner join reported
        on reported.company_id = invoices.company_id
        and reported.document = invoices.document_number
    where invoices.invoice_kind = 'customer'
    union all
    select
        invoices.company_id,
        'payables' as control,
        invoices.invoice_kind,
        invoices.document_number,
        invoices.invoice_date as difference_date,
        -- a supplier invoice is a credit on payables: -gross, negated
        invoices.gross_amount as amount
    from invoices
    inner join reported
        on reported.company_id = invoices.company_id
        and reported.document = invoices.document_number
    where invoices.invoice_kind = 'supplier'
),

unioned as (
    select * from booked
    union all
    select * from expected
),

final as (
    select
        -- keys
        unioned.company_id,
        unioned.control,
        unioned.invoice_kind,
        unioned.document_number,
        -- dates
        unioned.difference_date,
        -- the findings that report the invoice
        reported.kinds as reported_as,
        -- amounts (debit positive)
        {{ money('sum(unioned.amount)') }} as difference_amount
    from unioned
    inner join reported
        on reported.company_id = unioned.company_id
        and reported.document = unioned.document_number
    group by 1, 2, 3, 4, 5, 6
    having sum(unioned.amount) <> 0
)

select * from final
