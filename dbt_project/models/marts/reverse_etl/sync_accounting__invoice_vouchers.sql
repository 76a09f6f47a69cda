{{ config(enabled=ledgerbridge_source('sie') and ledgerbridge_source('erp_files')) }}
-- One row per voucher row of an ERP invoice that the books lack (the invoice_not_booked
-- finding), booked as a voucher for a company whose books are SIE files (they keep no
-- invoice register to write; Fortnox companies get the invoice itself,
-- sync_accounting__invoices). As the ERP export has the invoice: each line's net on its
-- account (the seed reverse_etl_invoice_accounts' net account where the line names none)
-- and dimensions (the invoice's where the line has none), the VAT per rate on the seed's
-- VAT account, the gross on kundfordringar / leverantörsskulder. The text names the invoice
-- as the books name their bookings ("Kundfaktura 10166 kund 1010"), so that it is linked to
-- it, in the series the company books that kind of invoice in. An invoice whose lines do not
-- add up to it is left out: which line is wrong is for a person to find.
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
    where invoices.source_system = 'erp_files'
),

lines as (
    select lines.*
    from {{ ref('stg_erp_files__invoice_lines') }} as lines
    inner join unbooked
        on unbooked.company_id = lines.company_id
        and unbooked.invoice_kind = lines.invoice_kind
        and unbooked.invoice_number = lines.invoice_number
),

complete as (
    select unbooked.*
    from unbooked
    inner join (
        select company_id, invoice_kind, invoice_number,
            sum(net_amount) as lines_net, sum(vat_amount) as lines_vat
        from lines
        group by company_id, invoice_kind, invoice_number
    ) as sums
        on sums.company_id = unbooked.company_id
        and sums.invoice_kind = unbooked.invoice_kind
        and sums.invoice_number = unbooked.invoice_number
    where sums.lines_net = unbooked.net_amount and sums.lines_vat = unbooked.vat_amount
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
        2 as row_group, lines.vat_rate as row_order,
        vat_accounts.account_number,
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        signed.line_sign * sum(lines.vat_amount)
    from signed
    inner join lines
        on lines.company_id = signed.company_id
        and lines.invoice_kind = signed.invoice_kind
        and lines.invoice_number = signed.invoice_number
    left join accounts as vat_accounts
        on vat_accounts.invoice_kind = signed.invoice_kind
        and vat_accounts.account_role = 'vat'
        and vat_accounts.vat_rate = lines.vat_rate
    group by signed.finding_id, signed.company_id, signed.invoice_kind, signed.invoice_number,
        lines.vat_rate, vat_accounts.account_number, signed.line_sign
    having sum(lines.vat_amount) <> 0
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
        signed.invoice_date,
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
