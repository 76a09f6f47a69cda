{%- set tryton = ledgerbridge_source('tryton') -%}
{%- set erp_files = ledgerbridge_source('erp_files') -%}
{{ config(enabled=(ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))
    and (tryton or erp_files)) }}
-- One row per account the ERP books its invoices on in a fiscal year whose chart in the
-- books lacks it (finding kind account_not_in_books, document "<account> <fiscal year>"):
-- booking such an invoice would be refused, or land on an account the books do not report
-- on. Tryton's posted invoices' lines and an ERP export's invoice lines that name an account
-- are read; an invoice counts in the fiscal year its accounting date falls in.
with

erp_lines as (
    {% if tryton -%}
    select
        lines.company_id,
        lines.account_number,
        tryton_accounts.name as account_name,
        invoices.invoice_number,
        coalesce(invoices.accounting_date, invoices.invoice_date) as booked_on
    from {{ ref('stg_tryton__invoice_lines') }} as lines
    inner join {{ ref('stg_tryton__invoices') }} as invoices
        on invoices.company_id = lines.company_id
        and invoices.invoice_id = lines.invoice_id
        and invoices.state in ('posted', 'paid')
    left join {{ source('raw_tryton', 'accounts') }} as tryton_accounts
        on tryton_accounts.company_id = lines.company_id
        and tryton_accounts.code = lines.account_number
        and tryton_accounts.deleted_at is null
    where lines.account_number is not null
    {%- endif %}
    {% if tryton and erp_files %}union all{% endif %}
    {% if erp_files -%}
    select
        lines.company_id,
        lines.account_number,
        cast(null as {{ dbt.type_string() }}) as account_name,
        invoices.invoice_number,
        invoices.invoice_date as booked_on
    from {{ ref('stg_erp_files__invoice_lines') }} as lines
    inner join {{ ref('int_erp__invoices') }} as invoices
        on invoices.company_id = lines.company_id
        and invoices.invoice_kind = lines.invoice_kind
        and invoices.invoice_number = lines.invoice_number
        and invoices.source_system = 'erp_files'
    where lines.account_number is not null
    {%- endif %}
),

used as (
    select
        erp_lines.company_id,
        years.fiscal_year_start,
        years.fiscal_year,
        erp_lines.account_number,
        max(erp_lines.account_name) as account_name,
        count(*) as lines,
        min(erp_lines.invoice_number) as first_invoice
    from erp_lines
    inner join {{ ref('int_ledger__fiscal_years') }} as years
        on years.company_id = erp_lines.company_id
        and erp_lines.booked_on between years.fiscal_year_start and years.fiscal_year_end
    group by erp_lines.company_id, years.fiscal_year_start, years.fiscal_year,
        erp_lines.account_number
),

missing as (
    select used.*
    from used
    left join {{ ref('int_ledger__accounts') }} as chart
        on chart.company_id = used.company_id
        and chart.fiscal_year_start = used.fiscal_year_start
        and chart.account_number = used.account_number
    where chart.account_number is null
),

final as (
    select
        company_id,
        'account_not_in_books' as kind,
        'account' as document_type,
        account_number || ' ' || fiscal_year as document,
        'high' as severity,
        'the ERP books ' || cast(lines as {{ dbt.type_string() }})
        || ' invoice line(s) of fiscal year ' || fiscal_year || ' on account '
        || account_number || coalesce(' (' || account_name || ')', '')
        || ', which the books'' chart for that year lacks (first: invoice ' || first_invoice
        || ')' as details,
        'Create account ' || account_number || ' in the accounting system''s chart for '
        || fiscal_year || ' (the reverse ETL creates it in Fortnox), or book the ERP''s'
        || ' lines on an account the chart has' as suggested_action,
        -- for the reverse ETL
        fiscal_year_start,
        account_number,
        account_name
    from missing
)

select * from final
