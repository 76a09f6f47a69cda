{%- set tryton = ledgerbridge_source('tryton') -%}
{%- set erp_files = ledgerbridge_source('erp_files') -%}
{{ config(enabled=ledgerbridge_source('sie') and (tryton or erp_files)) }}
-- One row per voucher row of an ERP invoice that the books lack (the invoice_not_booked
-- finding), booked as a voucher for a company whose books are SIE files (they keep no
-- invoice register to write; Fortnox companies get the invoice itself,
-- sync_accounting__invoices). As the ERP has the invoice: each line's net on its account
-- (the seed reverse_etl_invoice_accounts' net account where the line names none) and
-- dimensions (the invoice's where the line has none), the VAT per rate on the seed's VAT
-- account, the gross on kundfordringar / leverantörsskulder. An ERP export states each
-- line's VAT; Tryton's lines carry their product, whose accounting category's tax gives the
-- rate, and the VAT per rate is worked out as Tryton does (the rate on the rate's lines'
-- sum, to the öre). The text names the invoice as the books name their bookings
-- ("Kundfaktura 10166 kund 1010"), so that it is linked to it, in the series the company
-- books that kind of invoice in. An invoice whose lines do not add up to it (net and VAT)
-- is left out: which line is wrong is for a person to find.
with

findings as (
    select finding_id, company_id, document_type, document
    from {{ ref('rec_findings') }}
    where kind = 'invoice_not_booked'
),

books_in_sie as (
    select company_id from {{ ref('int_ledger__companies') }} where source_system = 'sie'
),

accounts as (
    select * from {{ ref('reverse_etl_invoice_accounts') }}
),

unbooked as (
    select invoices.*, findings.finding_id
    from {{ ref('int_erp__invoices') }} as invoices
    inner join books_in_sie on books_in_sie.company_id = invoices.company_id
    inner join findings
        on findings.company_id = invoices.company_id
        and findings.document_type = invoices.invoice_kind || '_invoice'
        and findings.document = invoices.invoice_number
),

-- the ERP's lines: net, VAT rate, and (an export's) VAT; an export's lines or Tryton's
erp_lines as (
    {% if erp_files -%}
    select
        'erp_files' as source_system, company_id, invoice_kind, invoice_number, line_no,
        account_number, cost_centre_code, project_code, net_amount, vat_rate, vat_amount
    from {{ ref('stg_erp_files__invoice_lines') }}
    {%- endif %}
    {% if tryton and erp_files %}union all{% endif %}
    {% if tryton -%}
    select
        'tryton' as source_system,
        invoices.company_id,
        invoices.invoice_kind,
        invoices.invoice_number,
        row_number() over (
            partition by lines.company_id, lines.invoice_id
            order by lines.sequence, lines.invoice_line_id
        ) as line_no,
        lines.account_number,
        lines.cost_centre as cost_centre_code,
        lines.project as project_code,
        lines.net_amount,
        cast(case invoices.invoice_kind
            when 'customer' then products.sales_vat_percent else products.purchase_vat_percent
        end as integer) as vat_rate,
        cast(null as decimal(18, 2)) as vat_amount
    from {{ ref('stg_tryton__invoice_lines') }} as lines
    inner join {{ ref('stg_tryton__invoices') }} as invoices
        on invoices.company_id = lines.company_id
        and invoices.invoice_id = lines.invoice_id
    left join {{ ref('stg_tryton__products') }} as products
        on products.company_id = lines.company_id
        and products.product_id = lines.product_id
    {%- endif %}
),

lines as (
    select erp_lines.*
    from erp_lines
    inner join unbooked
        on unbooked.company_id = erp_lines.company_id
        and unbooked.source_system = erp_lines.source_system
        and unbooked.invoice_kind = erp_lines.invoice_kind
        and unbooked.invoice_number = erp_lines.invoice_number
),

-- the VAT per rate: an export's as stated, Tryton's worked out on the rate's lines
vat_by_rate as (
    select
        company_id,
        invoice_kind,
        invoice_number,
        vat_rate,
        coalesce(
            sum(vat_amount),
            round(
                sum(net_amount) * cast(vat_rate as decimal(5, 2)) * cast(0.01 as decimal(3, 2)),
                2
            )
        ) as vat_amount
    from lines
    group by company_id, invoice_kind, invoice_number, vat_rate
),

complete as (
    select unbooked.*
    from unbooked
    inner join (
        select company_id, invoice_kind, invoice_number, sum(net_amount) as lines_net
        from lines
        group by company_id, invoice_kind, invoice_number
    ) as nets
        on nets.company_id = unbooked.company_id
        and nets.invoice_kind = unbooked.invoice_kind
        and nets.invoice_number = unbooked.invoice_number
    inner join (
        select company_id, invoice_kind, invoice_number, sum(vat_amount) as lines_vat
        from vat_by_rate
        group by company_id, invoice_kind, invoice_number
    ) as vats
        on vats.company_id = unbooked.company_id
        and vats.invoice_kind = unbooked.invoice_kind
        and vats.invoice_number = unbooked.invoice_number
    where nets.lines_net = unbooked.net_amount and vats.lines_vat = unbooked.vat_amount
),

-- the series the company books each kind of invoice in: the one most of its bookings use
series as (
    select company_id, invoice_kind, voucher_series
    from (
        select
            company_id,
            invoice_kind,
            voucher_series,
            row_number() over (
                partition by company_id, invoice_kind order by count(*) desc, voucher_series
            ) as preference
        from {{ ref('int_rec__invoice_bookings') }}
        group by company_id, invoice_kind, voucher_series
    ) as counted
    where preference = 1
),

-- debit positive: a customer invoice credits its lines and VAT, a supplier invoice debits them
signed as (
    select
        complete.*,
        case complete.invoice_kind when 'customer' then -1 else 1 end as line_sign
    from complete
),

voucher_rows as (
    select
        signed.finding_id, signed.company_id, signed.invoice_kind, signed.invoice_number,
        1 as row_group, lines.line_no as row_order,
        coalesce(lines.account_number, net_accounts.account_number) as account_number,
        coalesce(lines.cost_centre_code, signed.cost_centre) as cost_centre_code,
        coalesce(lines.project_code, signed.project) as project_code,
        signed.line_sign * lines.net_amount as amount
    from signed
    inner join lines
        on lines.company_id = signed.company_id
        and lines.invoice_kind = signed.invoice_kind
        and lines.invoice_number = signed.invoice_number
    left join accounts as net_accounts
        on net_accounts.invoice_kind = signed.invoice_kind
        and net_accounts.account_role = 'net'
    union all
    select
        signed.finding_id, signed.company_id, signed.invoice_kind, signed.invoice_number,
        2 as row_group, vat_by_rate.vat_rate as row_order,
        vat_accounts.account_number,
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        signed.line_sign * vat_by_rate.vat_amount
    from signed
    inner join vat_by_rate
        on vat_by_rate.company_id = signed.company_id
        and vat_by_rate.invoice_kind = signed.invoice_kind
        and vat_by_rate.invoice_number = signed.invoice_number
    left join accounts as vat_accounts
        on vat_accounts.invoice_kind = signed.invoice_kind
        and vat_accounts.account_role = 'vat'
        and vat_accounts.vat_rate = vat_by_rate.vat_rate
    where vat_by_rate.vat_amount <> 0
    union all
    select
        signed.finding_id, signed.company_id, signed.invoice_kind, signed.invoice_number,
        3 as row_group, 0 as row_order,
        control_accounts.account_number,
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        -signed.line_sign * signed.total_amount
    from signed
    left join accounts as control_accounts
        on control_accounts.invoice_kind = signed.invoice_kind
        and control_accounts.account_role = 'control'
),

-- an invoice with a VAT rate the seed has no account for is left out, as a whole
mapped as (
    select *
    from voucher_rows
    where not exists (
        select 1 from voucher_rows as unmapped
        where unmapped.company_id = voucher_rows.company_id
            and unmapped.invoice_kind = voucher_rows.invoice_kind
            and unmapped.invoice_number = voucher_rows.invoice_number
            and unmapped.account_number is null
    )
),

final as (
    select
        -- keys
        mapped.finding_id,
        mapped.company_id,
        mapped.invoice_kind,
        mapped.invoice_number,
        row_number() over (
            partition by mapped.company_id, mapped.invoice_kind,
                mapped.invoice_number
            order by mapped.row_group, mapped.row_order
        ) as row_number,
        -- the voucher
        coalesce(signed.accounting_date, signed.invoice_date) as invoice_date,
        series.voucher_series,
        case mapped.invoice_kind
            when 'customer' then 'Kundfaktura ' else 'Leverantörsfaktura '
        end || mapped.invoice_number || ' '
        || case mapped.invoice_kind when 'customer' then 'kund ' else 'leverantör ' end
        || coalesce(signed.party_number, '?') as voucher_text,
        -- the row
        mapped.account_number,
        mapped.cost_centre_code,
        mapped.project_code,
        {{ money('mapped.amount') }} as amount
    from mapped
    inner join signed
        on signed.company_id = mapped.company_id
        and signed.invoice_kind = mapped.invoice_kind
        and signed.invoice_number = mapped.invoice_number
    left join series
        on series.company_id = mapped.company_id
        and series.invoice_kind = mapped.invoice_kind
)

select * from final
