{%- set erp = ledgerbridge_source('tryton') or ledgerbridge_source('erp_files') -%}
{{ config(enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox')) }}
-- One row per voucher row of a correction voucher that the reverse ETL plans for a finding
-- that vouchers correct. Only findings still standing are here: once the correction is
-- booked and read back, its finding and its rows are gone.
--
-- Every voucher's text starts with the invoice as the books name it ("Kundfaktura 10091 …"),
-- so that int_rec__invoice_bookings links it to the invoice and pairs a reversal with the
-- booking it cancels, and names the voucher it corrects (Swedish bookkeeping law: a
-- correction refers to what it corrects). Its date is the reverse ETL's to choose when it
-- plans.
--
-- duplicate_booking: each later booking of the invoice (booking_number > 1 among those still
-- standing) reversed row by row: same account and dimensions, amount negated, in the series
-- of the voucher it reverses (voucher_role reversal).
--
-- amount_mismatch, dimension_mismatch: the invoice's booking reversed, plus a rebooking as
-- the ERP has the invoice (voucher_role rebooking): the booking's rows with the ERP's gross on
-- the control account, its VAT on the VAT rows and its net on the others, each class shared
-- out in the proportions booked (öre left over on the class's largest row), and the ERP's
-- cost centre and project where the booking had another. One correction per booking, for
-- whichever of the two findings it has (both are mended by it). Only a booking with a row on
-- the control account is rebooked, and not one lacking VAT rows the ERP's invoice has VAT
-- for: elsewhere which row is what is a guess, and such a booking gets no reversal either.
with

findings as (
    select * from {{ ref('rec_findings') }}
    where kind in ('duplicate_booking', 'amount_mismatch', 'dimension_mismatch')
),

bookings as (
    select * from {{ ref('int_rec__invoice_bookings') }}
    where not is_reversed
),

voucher_rows as (
    select * from {{ ref('int_ledger__voucher_rows') }}
),

first_bookings as (
    -- the finding names the invoice as its first booking does
    select company_id, invoice_kind, invoice_key, invoice_number as document
    from bookings
    where booking_number = 1
),

later_bookings as (
    select bookings.*, first_bookings.document
    from bookings
    inner join first_bookings
        on first_bookings.company_id = bookings.company_id
        and first_bookings.invoice_kind = bookings.invoice_kind
        and first_bookings.invoice_key = bookings.invoice_key
    where bookings.booking_number > 1
),

duplicates as (
    select
        findings.finding_id,
        findings.kind,
        later_bookings.*,
        'vänder dubbelbokning ' as reversal_says
    from later_bookings
    inner join findings
        on findings.company_id = later_bookings.company_id
        and findings.document_type = later_bookings.invoice_kind || '_invoice'
        and findings.document = later_bookings.document
    where findings.kind = 'duplicate_booking'
),

{% if erp -%}
invoice_findings as (
    select
        *,
        -- one correction mends both findings of a booking; it answers to the first
        row_number() over (
            partition by company_id, document_type, document order by kind
        ) as finding_rank
    from findings
    where kind in ('amount_mismatch', 'dimension_mismatch')
),

misbooked as (
    select
        invoice_findings.finding_id,
        invoice_findings.kind,
        bookings.*,
        erp.erp_net_amount,
        erp.erp_vat_amount,
        erp.erp_total_amount,
        erp.erp_cost_centre,
        erp.erp_project
    from {{ ref('int_rec__erp_invoice_bookings') }} as erp
    inner join invoice_findings
        on invoice_findings.company_id = erp.company_id
        and invoice_findings.document_type = erp.invoice_kind || '_invoice'
        and invoice_findings.document = erp.invoice_number
        and invoice_findings.finding_rank = 1
    inner join bookings on bookings.voucher_id = erp.voucher_id
    where erp.erp_booking_number = 1 and erp.is_control_amount
),

misbooked_rows as (
    select
        voucher_rows.voucher_id,
        voucher_rows.row_number,
        voucher_rows.account_number,
        voucher_rows.cost_centre_code,
        voucher_rows.project_code,
        voucher_rows.amount,
        case
            when misbooked.invoice_kind = 'customer'
                and voucher_rows.account_number between '1510' and '1519' then 'control'
            when misbooked.invoice_kind = 'supplier'
                and voucher_rows.account_number between '2440' and '2449' then 'control'
            when voucher_rows.account_number between '2610' and '2649' then 'vat'
            else 'other'
        end as row_class
    from voucher_rows
    inner join misbooked on misbooked.voucher_id = voucher_rows.voucher_id
),

class_totals as (
    select
        voucher_id,
        sum(case when row_class = 'control' then amount else 0 end) as booked_control,
        sum(case when row_class = 'vat' then amount else 0 end) as booked_vat,
        sum(case when row_class = 'other' then amount else 0 end) as booked_other
    from misbooked_rows
    group by voucher_id
),

-- what each class should hold, debit positive: the gross on the control account (a customer
-- invoice's on the debit side, a supplier invoice's on the credit side), the VAT opposite it
-- (VAT rows that net to nothing, reverse charge, are left as they are), the net the rest
targets as (
    select
        class_totals.*,
        case misbooked.invoice_kind
            when 'customer' then misbooked.erp_total_amount else -misbooked.erp_total_amount
        end as control_target,
        case
            when class_totals.booked_vat = 0 then class_totals.booked_vat
            when misbooked.invoice_kind = 'customer' then -misbooked.erp_vat_amount
            else misbooked.erp_vat_amount
        end as vat_target
    from class_totals
    inner join misbooked on misbooked.voucher_id = class_totals.voucher_id
    where class_totals.booked_control <> 0 and class_totals.booked_other <> 0
        -- VAT the ERP has and the booking lacks altogether: where it belongs is for a person
        and not (class_totals.booked_vat = 0 and misbooked.erp_vat_amount <> 0
            and not exists (
                select 1 from misbooked_rows
                where misbooked_rows.voucher_id = class_totals.voucher_id
                    and misbooked_rows.row_class = 'vat'
            ))
),

shared as (
    select
        misbooked_rows.*,
        case misbooked_rows.row_class
            when 'control' then targets.control_target
            when 'vat' then targets.vat_target
            else -(targets.control_target + targets.vat_target)
        end as class_target,
        case misbooked_rows.row_class
            when 'control' then targets.booked_control
            when 'vat' then targets.booked_vat
            else targets.booked_other
        end as class_booked,
        row_number() over (
            partition by misbooked_rows.voucher_id, misbooked_rows.row_class
            order by abs(misbooked_rows.amount) desc, misbooked_rows.row_number
        ) as size_rank
    from misbooked_rows
    inner join targets on targets.voucher_id = misbooked_rows.voucher_id
),

truncated as (
    select
        *,
        case
            when class_booked = 0 then amount
            else {{ proportional_share('amount', 'class_target', 'class_booked') }}
        end as share
    from shared
),

rebooked_rows as (
    select
        truncated.voucher_id,
        truncated.row_number,
        truncated.account_number,
        -- the ERP's dimension where the booking carried another; where it carried none, on
        -- the result rows (classes 3–8), which are where an invoice's dimensions belong
        {%- for booked, erp in [('cost_centre_code', 'erp_cost_centre'), ('project_code', 'erp_project')] %}
        case
            when misbooked.{{ booked }} is distinct from misbooked.{{ erp }}
                and (
                    truncated.{{ booked }} = misbooked.{{ booked }}
                    or (
                        misbooked.{{ booked }} is null
                        and truncated.{{ booked }} is null
                        and truncated.account_number between '3000' and '8999'
                    )
                )
                then misbooked.{{ erp }}
            else truncated.{{ booked }}
        end as {{ booked }},
        {%- endfor %}
        truncated.share + case
            when truncated.size_rank = 1 and truncated.class_booked <> 0 then
                truncated.class_target
                - sum(truncated.share) over (
                    partition by truncated.voucher_id, truncated.row_class
                )
            else 0
        end as amount
    from truncated
    inner join misbooked on misbooked.voucher_id = truncated.voucher_id
),
{%- endif %}

reversed as (
    select finding_id, kind, voucher_id, company_id, invoice_kind, invoice_number,
        voucher_series, voucher_number, voucher_date, reversal_says
    from duplicates
    {% if erp -%}
    union all
    select finding_id, kind, voucher_id, company_id, invoice_kind, invoice_number,
        voucher_series, voucher_number, voucher_date, 'vänder ' as reversal_says
    from misbooked
    -- reversed only where it is booked again: a reversal alone would unbook the invoice
    where voucher_id in (select voucher_id from targets)
    {%- endif %}
),

correction_rows as (
    select
        reversed.finding_id,
        reversed.kind,
        reversed.voucher_id,
        reversed.company_id,
        reversed.invoice_kind,
        reversed.invoice_number,
        reversed.voucher_series,
        reversed.voucher_number,
        reversed.voucher_date,
        'reversal' as voucher_role,
        'rättelse: ' || reversed.reversal_says as says,
        voucher_rows.row_number,
        voucher_rows.account_number,
        voucher_rows.cost_centre_code,
        voucher_rows.project_code,
        -voucher_rows.amount as amount
    from reversed
    inner join voucher_rows on voucher_rows.voucher_id = reversed.voucher_id
    {% if erp -%}
    union all
    select
        misbooked.finding_id,
        misbooked.kind,
        misbooked.voucher_id,
        misbooked.company_id,
        misbooked.invoice_kind,
        misbooked.invoice_number,
        misbooked.voucher_series,
        misbooked.voucher_number,
        misbooked.voucher_date,
        'rebooking' as voucher_role,
        'rättelse: ombokning enligt ERP av ' as says,
        rebooked_rows.row_number,
        rebooked_rows.account_number,
        rebooked_rows.cost_centre_code,
        rebooked_rows.project_code,
        rebooked_rows.amount
    from misbooked
    inner join rebooked_rows on rebooked_rows.voucher_id = misbooked.voucher_id
    -- a VAT row the ERP's invoice has no VAT for is left out
    where rebooked_rows.amount <> 0
    {%- endif %}
),

final as (
    select
        -- keys
        finding_id,
        company_id,
        voucher_id as corrects_voucher_id,
        voucher_role,
        row_number,
        -- dates
        voucher_date as corrects_voucher_date,
        -- descriptions
        kind,
        voucher_series,
        case invoice_kind
            when 'customer' then 'Kundfaktura ' else 'Leverantörsfaktura '
        end || invoice_number || ' ' || says || voucher_series || ' ' || voucher_number
            as voucher_text,
        -- dimensions
        account_number,
        cost_centre_code,
        project_code,
        -- amounts (debit positive)
        {{ money('amount') }} as amount
    from correction_rows
)

select * from final
