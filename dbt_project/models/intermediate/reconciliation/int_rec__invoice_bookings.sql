{%- set fortnox = ledgerbridge_source('fortnox') -%}
{{ config(enabled=ledgerbridge_source('sie') or fortnox) }}
-- One row per voucher that books a customer or supplier invoice, with the amount and the
-- dimensions it books.
--
-- Which invoice a voucher names (by reference, else by text) is int_rec__voucher_facts' to
-- say. Fortnox numbers supplier invoices itself (its GivenNumber, in references and texts
-- alike); through its register such a booking also knows the supplier and the supplier's own
-- invoice number, which is what the ERP records.
--
-- A booking that a later voucher reverses (the same rows, amounts negated) is kept, marked
-- is_reversed: a correction is a reversing voucher plus a new one, so the pair no longer
-- books the invoice. A reversal either names the same invoice or names none (a correction
-- voucher); a voucher booking another invoice (a credit note) never cancels one.
-- booking_number numbers the bookings left, by date.
--
-- What depends on one voucher alone (the invoice it names, its signature, the amount and
-- dimensions it books) comes from int_rec__voucher_facts, which keeps it incrementally; this
-- model pairs bookings with their reversals, which needs every voucher, and reads only those
-- facts, not the ledger's rows.
with

-- each voucher's facts that depend on it alone, kept incrementally (int_rec__voucher_facts)
facts as (
    select * from {{ ref('int_rec__voucher_facts') }}
),

{% if fortnox -%}
fortnox_supplier_invoices as (
    select company_id, given_number, supplier_number, supplier_invoice_number
    from {{ ref('stg_fortnox__supplier_invoices') }}
),
{%- endif %}

linked as (
    select
        facts.voucher_id,
        facts.company_id,
        facts.invoice_kind,
        facts.invoice_number,
        facts.voucher_series,
        facts.voucher_number,
        facts.voucher_date,
        facts.cost_centre_code,
        facts.project_code,
        facts.booked_amount,
        facts.is_control_amount,
        facts.source_system,
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
            else facts.invoice_number
        end as invoice_key
        {%- else -%}
        facts.invoice_number as invoice_key
        {%- endif %}
    from facts
    {% if fortnox -%}
    left join fortnox_supplier_invoices
        on facts.source_system = 'fortnox'
        and facts.invoice_kind = 'supplier'
        and fortnox_supplier_invoices.company_id = facts.company_id
        and fortnox_supplier_invoices.given_number = facts.invoice_number
    {%- endif %}
    -- a voucher with no booked row books nothing
    where facts.invoice_number is not null and facts.booked_amount is not null
),

-- A voucher and its negation fall in one class; which of the two signatures it has is its
-- side. Vouchers of one side cancel those of the other one for one, the latest bookings
-- first (a duplicate, a booking being corrected), so that the original stays where one does.
classes as (
    select
        voucher_id,
        company_id,
        voucher_date,
        case when rows_signature < negated_signature then rows_signature
            else negated_signature end as class_key,
        rows_signature < negated_signature as is_first_side
    from facts
    where rows_signature <> negated_signature
),

-- Only a class with vouchers on both sides holds a reversal; nearly every voucher is alone
-- in its class, so what follows ranks the few that are not.
paired_classes as (
    select company_id, class_key
    from classes
    group by company_id, class_key
    having count(distinct is_first_side) = 2
),

paired as (
    select classes.*
    from classes
    inner join paired_classes
        on paired_classes.company_id = classes.company_id
        and paired_classes.class_key = classes.class_key
),

booking_classes as (
    select
        linked.voucher_id,
        linked.company_id,
        linked.invoice_kind,
        linked.invoice_key,
        linked.voucher_date,
        paired.class_key,
        paired.is_first_side
    from linked
    inner join paired on paired.voucher_id = linked.voucher_id
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
    select paired.company_id, paired.class_key, paired.is_first_side, count(*) as reversals
    from paired
    where not exists (select 1 from linked where linked.voucher_id = paired.voucher_id)
        and exists (
            select 1 from booking_classes
            where booking_classes.company_id = paired.company_id
                and booking_classes.class_key = paired.class_key
                and booking_classes.is_first_side <> paired.is_first_side
                and booking_classes.voucher_date <= paired.voucher_date
        )
    group by paired.company_id, paired.class_key, paired.is_first_side
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
        linked.cost_centre_code,
        linked.project_code,
        -- amounts
        -- signed as the invoice (a credit note's is negative) where read from the control
        -- account, else the voucher's debit side, always positive
        {{ money('linked.booked_amount') }} as booked_amount,
        linked.is_control_amount,
        -- state and lineage
        cancelled.voucher_id is not null as is_reversed,
        linked.source_system
    from linked
    left join cancelled on cancelled.voucher_id = linked.voucher_id
)

select * from final
