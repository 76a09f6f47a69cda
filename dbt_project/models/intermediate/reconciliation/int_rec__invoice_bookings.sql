{%- set fortnox = ledgerbridge_source('fortnox') -%}
{{ config(enabled=ledgerbridge_source('sie') or fortnox) }}
-- One row per voucher that books a customer or supplier invoice, with the amount and the
-- dimensions it books.
--
-- A voucher names its invoice by Fortnox's ReferenceType/ReferenceNumber (INVOICE,
-- SUPPLIERINVOICE) where the books are Fortnox and the reference is set; by its text
-- ("Kundfaktura 10091 …", "Leverantörsfaktura 50013 …") only where no other reference says
-- what it is (no reference, or MANUAL): a payment's voucher (INVOICEPAYMENT) often repeats the
-- invoice's text and books nothing of it. Fortnox numbers supplier invoices itself (its
-- GivenNumber, in references and texts alike); through its register such a booking also
-- knows the supplier and the supplier's own invoice number, which is what the ERP records.
--
-- A booking that a later voucher reverses (the same rows, amounts negated) is kept, marked
-- is_reversed: a correction is a reversing voucher plus a new one, so the pair no longer
-- books the invoice. A reversal either names the same invoice or names none (a correction
-- voucher); a voucher booking another invoice (a credit note) never cancels one.
-- booking_number numbers the bookings left, by date.
with

vouchers as (
    select * from {{ ref('int_ledger__vouchers') }}
),

voucher_rows as (
    select * from {{ ref('int_ledger__voucher_rows') }}
),

{% if fortnox -%}
fortnox_vouchers as (
    select voucher_id, reference_type, reference_number from {{ ref('stg_fortnox__vouchers') }}
),

fortnox_supplier_invoices as (
    select company_id, given_number, supplier_number, supplier_invoice_number
    from {{ ref('stg_fortnox__supplier_invoices') }}
),
{%- endif %}

text_references as (
    select
        voucher_id,
        case
            when voucher_text like 'Kundfaktura%' then 'customer' else 'supplier'
        end as invoice_kind,
        -- the number: letters, digits and inner dashes or slashes, not the punctuation after
        regexp_replace(
            voucher_text,
            '^(Kundfaktura|Leverantörsfaktura)\s+([0-9A-Za-z]+([-/][0-9A-Za-z]+)*).*$',
            '\2'
        ) as invoice_number
    from vouchers
    where voucher_text like 'Kundfaktura%' or voucher_text like 'Leverantörsfaktura%'
),

linked_numbers as (
    select
        vouchers.voucher_id,
        vouchers.company_id,
        {% if fortnox -%}
        case
            when fortnox_vouchers.reference_type = 'INVOICE' then 'customer'
            when fortnox_vouchers.reference_type = 'SUPPLIERINVOICE' then 'supplier'
            else text_references.invoice_kind
        end as invoice_kind,
        case
            when fortnox_vouchers.reference_type in ('INVOICE', 'SUPPLIERINVOICE')
                then fortnox_vouchers.reference_number
            else text_references.invoice_number
        end as invoice_number,
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
    left join fortnox_vouchers on fortnox_vouchers.voucher_id = vouchers.voucher_id
    {% endif -%}
    left join text_references
        on text_references.voucher_id = vouchers.voucher_id
        -- a text that is no invoice reference ("Kundfakturor, avstämning") is left as it was
        and text_references.invoice_number <> vouchers.voucher_text
    where
        {% if fortnox -%}
        (
            fortnox_vouchers.reference_type in ('INVOICE', 'SUPPLIERINVOICE')
            and fortnox_vouchers.reference_number is not null
        )
        or (
            coalesce(fortnox_vouchers.reference_type, 'MANUAL') = 'MANUAL'
            and text_references.voucher_id is not null
        )
        {%- else -%}
        text_references.voucher_id is not null
        {%- endif %}
),

linked as (
    select
        linked_numbers.*,
        {% if fortnox -%}
        fortnox_supplier_invoices.supplier_number,
        fortnox_supplier_invoices.supplier_invoice_number,
        {%- else -%}
        cast(null as {{ dbt.type_string() }}) as supplier_number,
        cast(null as {{ dbt.type_string() }}) as supplier_invoice_number,
        {%- endif %}
        -- what identifies the invoice across bookings: a Fortnox supplier invoice by its
        -- supplier and the supplier's number, anything else by the number the books use
        {% if fortnox -%}
        case
            when fortnox_supplier_invoices.supplier_invoice_number is not null
                then fortnox_supplier_invoices.supplier_number || '/'
                || fortnox_supplier_invoices.supplier_invoice_number
            else linked_numbers.invoice_number
        end as invoice_key
        {%- else -%}
        linked_numbers.invoice_number as invoice_key
        {%- endif %}
    from linked_numbers
    {% if fortnox -%}
    left join fortnox_supplier_invoices
        on linked_numbers.source_system = 'fortnox'
        and linked_numbers.invoice_kind = 'supplier'
        and fortnox_supplier_invoices.company_id = linked_numbers.company_id
        and fortnox_supplier_invoices.given_number = linked_numbers.invoice_number
    {%- endif %}
),

-- Only a voucher with as many rows and as much money as some booking can be that booking's
-- reversal or duplicate: a cheap aggregate that spares the signatures below for the
-- vast rest of the ledger (the slowest part of the build at millions of rows otherwise).
voucher_shapes as (
    select voucher_id, company_id, count(*) as row_count, sum(abs(amount)) as absolute_total
    from voucher_rows
    group by voucher_id, company_id
),

booking_shapes as (
    select distinct voucher_shapes.company_id, voucher_shapes.row_count,
        voucher_shapes.absolute_total
    from voucher_shapes
    inner join linked on linked.voucher_id = voucher_shapes.voucher_id
),

candidate_rows as (
    select voucher_rows.*
    from voucher_rows
    inner join voucher_shapes on voucher_shapes.voucher_id = voucher_rows.voucher_id
    inner join booking_shapes
        on booking_shapes.company_id = voucher_shapes.company_id
        and booking_shapes.row_count = voucher_shapes.row_count
        and booking_shapes.absolute_total = voucher_shapes.absolute_total
),

-- Each voucher's rows as a signature (a sum of row hashes: the same rows in any order give
-- the same one), and the same rows with amounts negated: a voucher that reverses another has
-- the other's negated signature as its own. (Sorting and concatenating the rows into a
-- string said the same at several times the cost.)
signatures as (
    select
        voucher_id,
        company_id,
        {{ hash_sum([
            'account_number', "coalesce(cost_centre_code, '')", "coalesce(project_code, '')",
            'amount',
        ]) }} as rows_signature,
        {{ hash_sum([
            'account_number', "coalesce(cost_centre_code, '')", "coalesce(project_code, '')",
            '-amount',
        ]) }} as negated_signature
    from candidate_rows
    group by voucher_id, company_id
),

-- A voucher and its negation fall in one class; which of the two signatures it has is its
-- side. Vouchers of one side cancel those of the other one for one, the latest bookings
-- first (a duplicate, a booking being corrected), so that the original stays where one does.
classes as (
    select
        voucher_id,
        company_id,
        case when rows_signature < negated_signature then rows_signature
            else negated_signature end as class_key,
        rows_signature < negated_signature as is_first_side
    from signatures
    where rows_signature <> negated_signature
),

booking_classes as (
    select
        linked.voucher_id,
        linked.company_id,
        linked.invoice_kind,
        linked.invoice_key,
        linked.voucher_date,
        classes.class_key,
        classes.is_first_side
    from linked
    inner join classes on classes.voucher_id = linked.voucher_id
),

-- First the vouchers that name the same invoice: a booking and its reversal, both linked.
same_invoice_ranked as (
    select
        *,
        row_number() over (
            partition by company_id, invoice_kind, invoice_key, class_key, is_first_side
            order by voucher_date desc, voucher_id desc
        ) as side_rank,
        count(*) over (
            partition by company_id, invoice_kind, invoice_key, class_key, is_first_side
        ) as on_side
    from booking_classes
),

same_invoice_cancelled as (
    select ranked.voucher_id
    from same_invoice_ranked as ranked
    inner join (
        select distinct company_id, invoice_kind, invoice_key, class_key, is_first_side, on_side
        from same_invoice_ranked
    ) as other_side
        on other_side.company_id = ranked.company_id
        and other_side.invoice_kind = ranked.invoice_kind
        and other_side.invoice_key = ranked.invoice_key
        and other_side.class_key = ranked.class_key
        and other_side.is_first_side <> ranked.is_first_side
    where ranked.side_rank <= other_side.on_side
),

-- Then correction vouchers that name no invoice, against the bookings still standing.
unlinked_reversals as (
    select classes.company_id, classes.class_key, classes.is_first_side, count(*) as reversals
    from classes
    inner join vouchers on vouchers.voucher_id = classes.voucher_id
    where not exists (select 1 from linked where linked.voucher_id = classes.voucher_id)
        and exists (
            select 1 from booking_classes
            where booking_classes.company_id = classes.company_id
                and booking_classes.class_key = classes.class_key
                and booking_classes.is_first_side <> classes.is_first_side
                and booking_classes.voucher_date <= vouchers.voucher_date
        )
    group by classes.company_id, classes.class_key, classes.is_first_side
),

standing_ranked as (
    select
        booking_classes.*,
        row_number() over (
            partition by company_id, class_key, is_first_side
            order by voucher_date desc, voucher_id desc
        ) as side_rank
    from booking_classes
    where voucher_id not in (select voucher_id from same_invoice_cancelled)
),

corrected as (
    select standing_ranked.voucher_id
    from standing_ranked
    inner join unlinked_reversals
        on unlinked_reversals.company_id = standing_ranked.company_id
        and unlinked_reversals.class_key = standing_ranked.class_key
        and unlinked_reversals.is_first_side <> standing_ranked.is_first_side
    where standing_ranked.side_rank <= unlinked_reversals.reversals
),

cancelled as (
    select voucher_id from same_invoice_cancelled
    union
    select voucher_id from corrected
),

-- The amount booked: what the voucher puts on the invoice's control account (kundfordringar
-- 1510–1519, leverantörsskulder 2440–2449), which is the invoice's gross also where VAT is
-- reverse charged (booked on both sides) or a discount line is netted. A voucher without such
-- a row (a chart using other accounts) is taken at its debit side: a voucher sums to zero.
row_amounts as (
    select
        voucher_rows.voucher_id,
        voucher_rows.cost_centre_code,
        voucher_rows.project_code,
        voucher_rows.amount,
        case
            when linked.invoice_kind = 'customer'
                and voucher_rows.account_number between '1510' and '1519' then voucher_rows.amount
            when linked.invoice_kind = 'supplier'
                and voucher_rows.account_number between '2440' and '2449' then -voucher_rows.amount
        end as control_amount
    from voucher_rows
    inner join linked on linked.voucher_id = voucher_rows.voucher_id
),

booked as (
    select
        voucher_id,
        coalesce(
            sum(control_amount),
            sum(case when amount > 0 then amount else 0 end)
        ) as booked_amount,
        count(control_amount) > 0 as is_control_amount
    from row_amounts
    group by voucher_id
),

-- The dimension carrying most of the amount, summed over the rows that carry it (as
-- int_erp__invoices sums the ERP's lines); ties go to the lowest code, so the answer never
-- depends on row order.
cost_centre_ranked as (
    select
        voucher_id,
        cost_centre_code,
        row_number() over (
            partition by voucher_id order by sum(abs(amount)) desc, cost_centre_code
        ) as dimension_rank
    from row_amounts
    where cost_centre_code is not null
    group by voucher_id, cost_centre_code
),

project_ranked as (
    select
        voucher_id,
        project_code,
        row_number() over (
            partition by voucher_id order by sum(abs(amount)) desc, project_code
        ) as dimension_rank
    from row_amounts
    where project_code is not null
    group by voucher_id, project_code
),

final as (
    select
        -- keys
        linked.voucher_id,
        linked.company_id,
        linked.invoice_kind,
        linked.invoice_number,
        linked.invoice_key,
        linked.supplier_number,
        linked.supplier_invoice_number,
        linked.voucher_series,
        linked.voucher_number,
        case when cancelled.voucher_id is null then
            row_number() over (
                partition by linked.company_id, linked.invoice_kind, linked.invoice_key,
                    cancelled.voucher_id is null
                order by linked.voucher_date, linked.voucher_id
            )
        end as booking_number,
        -- dates
        linked.voucher_date,
        -- dimensions
        cost_centre_ranked.cost_centre_code,
        project_ranked.project_code,
        -- amounts
        -- signed as the invoice (a credit note's is negative) where read from the control
        -- account, else the voucher's debit side, always positive
        {{ money('booked.booked_amount') }} as booked_amount,
        booked.is_control_amount,
        -- state and lineage
        cancelled.voucher_id is not null as is_reversed,
        linked.source_system
    from linked
    inner join booked on booked.voucher_id = linked.voucher_id
    left join cancelled on cancelled.voucher_id = linked.voucher_id
    left join cost_centre_ranked
        on cost_centre_ranked.voucher_id = linked.voucher_id
        and cost_centre_ranked.dimension_rank = 1
    left join project_ranked
        on project_ranked.voucher_id = linked.voucher_id
        and project_ranked.dimension_rank = 1
)

select * from final
