{{ config(
    enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox'),
    materialized='incremental',
    unique_key='voucher_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook=["{{ forget_vouchers_not_built_as_booked() if is_incremental() else 'select 1' }}"],
) }}
-- One row per voucher with what int_rec__invoice_bookings needs to know of it that depends on
-- the voucher alone: the invoice it names, if any; its rows' signature (and their negation's),
-- for finding the voucher that reverses it; and, for a voucher that names an invoice, the
-- amount it puts on the control account and the cost centre and project carrying most of it.
--
-- Incremental on the voucher's content (int_ledger__vouchers.content_hash): a build works out
-- the facts of new and changed vouchers only, and the post-hook drops those of vouchers gone
-- or changed. These facts read every row of the ledger, so working them out anew on every
-- build was the most expensive part of the reconciliation at millions of rows; what pairs
-- bookings with their reversals needs every voucher and is left to int_rec__invoice_bookings,
-- which reads these facts only.
--
-- A voucher names its invoice by its reference (Fortnox's ReferenceType/ReferenceNumber,
-- INVOICE or SUPPLIERINVOICE) where it has one, else — where no reference says otherwise (none,
-- or MANUAL) — by its text: "Kundfaktura 10091 …", "Leverantörsfaktura 50013 …". A payment's
-- voucher (INVOICEPAYMENT) often repeats the invoice's text and books nothing of it.
with

vouchers as (
    select vouchers.*
    from {{ ref('int_ledger__vouchers') }} as vouchers
    {% if is_incremental() -%}
    -- new or changed; the others' facts are here as a full build writes them
    where not exists (
        select 1
        from {{ this }} as built
        where built.voucher_id = vouchers.voucher_id
            and built._content_hash = vouchers.content_hash
            and built.source_system = vouchers.source_system
    )
    {%- endif %}
),

voucher_rows as (
    select voucher_rows.*
    from {{ ref('int_ledger__voucher_rows') }} as voucher_rows
    {% if is_incremental() -%}
    where voucher_rows.voucher_id in (select voucher_id from vouchers)
    {%- endif %}
),

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

named as (
    select
        vouchers.voucher_id,
        case
            when vouchers.source_document_type = 'INVOICE' then 'customer'
            when vouchers.source_document_type = 'SUPPLIERINVOICE' then 'supplier'
            else text_references.invoice_kind
        end as invoice_kind,
        case
            when vouchers.source_document_type in ('INVOICE', 'SUPPLIERINVOICE')
                then vouchers.source_document_number
            else text_references.invoice_number
        end as invoice_number
    from vouchers
    left join text_references
        on text_references.voucher_id = vouchers.voucher_id
        -- a text that is no invoice reference ("Kundfakturor, avstämning") is left as it was
        and text_references.invoice_number <> vouchers.voucher_text
    where
        (
            vouchers.source_document_type in ('INVOICE', 'SUPPLIERINVOICE')
            and vouchers.source_document_number is not null
        )
        or (
            coalesce(vouchers.source_document_type, 'MANUAL') = 'MANUAL'
            and text_references.voucher_id is not null
        )
),

-- Each voucher's rows as a signature (a sum of row hashes: the same rows in any order give
-- the same one), and the same rows with amounts negated: a voucher that reverses another has
-- the other's negated signature as its own. (Sorting and concatenating the rows into a
-- string said the same at several times the cost.)
signatures as (
    select
        voucher_id,
        {{ hash_sum([
            'account_number', "coalesce(cost_centre_code, '')", "coalesce(project_code, '')",
            'amount',
        ]) }} as rows_signature,
        {{ hash_sum([
            'account_number', "coalesce(cost_centre_code, '')", "coalesce(project_code, '')",
            '-amount',
        ]) }} as negated_signature
    from voucher_rows
    group by voucher_id
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
            when named.invoice_kind = 'customer'
                and voucher_rows.account_number between '1510' and '1519' then voucher_rows.amount
            when named.invoice_kind = 'supplier'
                and voucher_rows.account_number between '2440' and '2449' then -voucher_rows.amount
        end as control_amount
    from voucher_rows
    inner join named on named.voucher_id = voucher_rows.voucher_id
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
        vouchers.voucher_id,
        vouchers.company_id,
        vouchers.voucher_series,
        vouchers.voucher_number,
        -- dates
        vouchers.voucher_date,
        -- the invoice the voucher names (none: null)
        named.invoice_kind,
        named.invoice_number,
        -- its rows, for pairing with a reversal (no rows: null)
        signatures.rows_signature,
        signatures.negated_signature,
        -- dimensions and amounts, of a voucher that names an invoice
        cost_centre_ranked.cost_centre_code,
        project_ranked.project_code,
        {{ money('booked.booked_amount') }} as booked_amount,
        booked.is_control_amount,
        -- lineage
        vouchers.source_system,
        vouchers.content_hash as _content_hash,
        -- the dbt invocation that wrote the row: an incremental build writes changed ones only
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as _batch_id
    from vouchers
    left join named on named.voucher_id = vouchers.voucher_id
    left join signatures on signatures.voucher_id = vouchers.voucher_id
    left join booked on booked.voucher_id = vouchers.voucher_id
    left join cost_centre_ranked
        on cost_centre_ranked.voucher_id = vouchers.voucher_id
        and cost_centre_ranked.dimension_rank = 1
    left join project_ranked
        on project_ranked.voucher_id = vouchers.voucher_id
        and project_ranked.dimension_rank = 1
)

select * from final
