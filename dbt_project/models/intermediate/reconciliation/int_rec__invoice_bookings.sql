{%- set fortnox = ledgerbridge_source('fortnox') -%}
{{ config(enabled=ledgerbridge_source('sie') or fortnox) }}
-- One row per voucher that books a customer or supplier invoice, with the amount and the
-- dimensions it books. A voucher names its invoice by Fortnox's ReferenceType/ReferenceNumber
-- (INVOICE, SUPPLIERINVOICE) where the books are Fortnox and the reference is set, else by its
-- text ("Kundfaktura 10091 …", "Leverantörsfaktura 50013 …", in SIE files as in Fortnox).
-- A booking that a later voucher reverses (the same rows, amounts negated) is kept, marked
-- is_reversed, with its reversal: a correction is a reversing voucher plus a new one, so the
-- pair no longer books the invoice. booking_number numbers the bookings left, by date.
with

vouchers as (
    select * from {{ ref('int_ledger__vouchers') }}
),

voucher_rows as (
    select * from {{ ref('int_ledger__voucher_rows') }}
),

{% if fortnox -%}
fortnox_references as (
    select
        voucher_id,
        case reference_type
            when 'INVOICE' then 'customer'
            when 'SUPPLIERINVOICE' then 'supplier'
        end as invoice_kind,
        reference_number as invoice_number
    from {{ ref('stg_fortnox__vouchers') }}
    where reference_type in ('INVOICE', 'SUPPLIERINVOICE') and reference_number is not null
),
{%- endif %}

text_references as (
    select
        voucher_id,
        case
            when voucher_text like 'Kundfaktura%' then 'customer' else 'supplier'
        end as invoice_kind,
        {{ regexp_extract('voucher_text', "'^(Kundfaktura|Leverantörsfaktura)\\s+(\\S+)'", 2) }}
            as invoice_number
    from vouchers
    where {{ regexp_like('voucher_text', "'^(Kundfaktura|Leverantörsfaktura)\\s+\\S'") }}
),

linked as (
    select
        vouchers.voucher_id,
        vouchers.company_id,
        {% if fortnox -%}
        coalesce(fortnox_references.invoice_kind, text_references.invoice_kind) as invoice_kind,
        coalesce(fortnox_references.invoice_number, text_references.invoice_number)
            as invoice_number,
        {%- else -%}
        text_references.invoice_kind,
        text_references.invoice_number,
        {%- endif %}
        vouchers.voucher_series,
        vouchers.voucher_number,
        vouchers.voucher_date,
        vouchers.source_system
    from vouchers
    {% if fortnox -%}
    left join fortnox_references on fortnox_references.voucher_id = vouchers.voucher_id
    {% endif -%}
    left join text_references on text_references.voucher_id = vouchers.voucher_id
    where {% if fortnox %}fortnox_references.voucher_id is not null or {% endif -%}
        text_references.voucher_id is not null
),

-- Each voucher's rows as one string, and the same rows with amounts negated: a voucher that
-- reverses another has the other's negated signature as its own.
signatures as (
    select
        voucher_id,
        company_id,
        string_agg(
            account_number || '/' || coalesce(cost_centre_code, '') || '/'
            || coalesce(project_code, '') || '/' || cast(amount as {{ dbt.type_string() }}),
            ';' order by account_number, coalesce(cost_centre_code, ''),
            coalesce(project_code, ''), amount
        ) as rows_signature,
        string_agg(
            account_number || '/' || coalesce(cost_centre_code, '') || '/'
            || coalesce(project_code, '') || '/' || cast(-amount as {{ dbt.type_string() }}),
            ';' order by account_number, coalesce(cost_centre_code, ''),
            coalesce(project_code, ''), -amount
        ) as negated_signature
    from voucher_rows
    group by voucher_id, company_id
),

-- A voucher and its negation fall in one class; which of the two signatures it has is its
-- side. Within a class, vouchers of one side cancel those of the other one for one. Only the
-- classes of vouchers that book an invoice matter.
classes as (
    select
        voucher_id,
        company_id,
        least(rows_signature, negated_signature) as class_key,
        rows_signature < negated_signature as is_first_side
    from signatures
    where rows_signature <> negated_signature
),

booking_classes as (
    select distinct classes.company_id, classes.class_key
    from classes
    inner join linked on linked.voucher_id = classes.voucher_id
),

ranked as (
    select
        classes.voucher_id,
        classes.company_id,
        classes.class_key,
        classes.is_first_side,
        -- the latest bookings are the ones a reversal cancels first (a duplicate, a booking
        -- being corrected), so that the original stays where one does
        row_number() over (
            partition by classes.company_id, classes.class_key, classes.is_first_side
            order by vouchers.voucher_date desc, vouchers.voucher_id desc
        ) as side_rank
    from classes
    inner join booking_classes
        on booking_classes.company_id = classes.company_id
        and booking_classes.class_key = classes.class_key
    inner join vouchers on vouchers.voucher_id = classes.voucher_id
),

side_counts as (
    select company_id, class_key, is_first_side, count(*) as vouchers_on_side
    from ranked
    group by company_id, class_key, is_first_side
),

cancelled as (
    select ranked.voucher_id
    from ranked
    inner join side_counts as other_side
        on other_side.company_id = ranked.company_id
        and other_side.class_key = ranked.class_key
        and other_side.is_first_side <> ranked.is_first_side
    where ranked.side_rank <= other_side.vouchers_on_side
),

booked as (
    select
        voucher_rows.voucher_id,
        -- a voucher sums to zero, so its debit side is the invoice's gross amount whichever
        -- accounts the chart uses for receivables and payables
        sum(case when voucher_rows.amount > 0 then voucher_rows.amount else 0 end)
            as booked_amount,
        -- the dimension carrying most of the amount, as int_erp__invoices states the ERP's
        {{ first_by('voucher_rows.cost_centre_code',
            'abs(voucher_rows.amount) desc, voucher_rows.cost_centre_code',
            where='voucher_rows.cost_centre_code is not null') }} as cost_centre_code,
        {{ first_by('voucher_rows.project_code',
            'abs(voucher_rows.amount) desc, voucher_rows.project_code',
            where='voucher_rows.project_code is not null') }} as project_code
    from voucher_rows
    inner join linked on linked.voucher_id = voucher_rows.voucher_id
    group by voucher_rows.voucher_id
),

final as (
    select
        -- keys
        linked.voucher_id,
        linked.company_id,
        linked.invoice_kind,
        linked.invoice_number,
        linked.voucher_series,
        linked.voucher_number,
        case when cancelled.voucher_id is null then
            row_number() over (
                partition by linked.company_id, linked.invoice_kind, linked.invoice_number,
                    cancelled.voucher_id is null
                order by linked.voucher_date, linked.voucher_id
            )
        end as booking_number,
        -- dates
        linked.voucher_date,
        -- dimensions
        booked.cost_centre_code,
        booked.project_code,
        -- amounts
        {{ money('booked.booked_amount') }} as booked_amount,
        -- state and lineage
        cancelled.voucher_id is not null as is_reversed,
        linked.source_system
    from linked
    inner join booked on booked.voucher_id = linked.voucher_id
    left join cancelled on cancelled.voucher_id = linked.voucher_id
)

select * from final
