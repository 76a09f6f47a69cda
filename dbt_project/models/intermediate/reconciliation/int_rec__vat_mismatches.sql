{{ config(enabled=(ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))
    and (ledgerbridge_source('fortnox') or ledgerbridge_source('tryton') or ledgerbridge_source('erp_files'))) }}
-- One row per company and fiscal period whose output VAT booked (utgående moms, BAS
-- 2610–2639 of its chart) differs from the VAT of the customer invoices of the reskontra dated
-- in the period, by more than the invoice-level findings explain (finding kind vat_mismatch,
-- document the period, YYYY-MM). Booked output VAT is the period's rows on the output VAT
-- accounts of vouchers that do not touch the VAT settlement account (2650): the VAT return
-- moves the balance there and is left out. Input VAT is not compared: much of it comes from
-- receipts, rent and card purchases that have no supplier invoice. Vouchers of the series a
-- company names in the seed vat_uninvoiced_sales_series (a till's Z reports, card settlements)
-- sell without invoices and are left out too. A period with an invoice whose VAT the
-- reskontra does not know (Fortnox's register without an ERP invoice of the same number) is
-- not judged. Periods the books have reached only.
with

control_accounts as (
    select * from {{ ref('int_reskontra__control_accounts') }}
),

voucher_rows as (
    select * from {{ ref('int_ledger__voucher_rows') }}
),

vouchers as (
    select * from {{ ref('int_ledger__vouchers') }}
),

invoices as (
    select * from {{ ref('int_reskontra__invoices') }} where invoice_kind = 'customer'
),

reported as (
    select * from {{ ref('int_reskontra__reported_booking_differences') }}
    where control = 'output_vat'
),

periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

books_reach as (
    select company_id, max(voucher_date) as reached from vouchers group by company_id
),

judged_periods as (
    select periods.company_id, periods.period_start, periods.period_end
    from periods
    inner join books_reach
        on books_reach.company_id = periods.company_id
        and periods.period_start <= books_reach.reached
),

uninvoiced_sales_series as (
    select * from {{ ref('vat_uninvoiced_sales_series') }}
),

settlement_vouchers as (
    select distinct voucher_rows.voucher_id
    from voucher_rows
    inner join control_accounts
        on control_accounts.company_id = voucher_rows.company_id
        and control_accounts.account_number = voucher_rows.account_number
        and control_accounts.control = 'vat_settlement'
),

booked as (
    select
        judged_periods.company_id,
        judged_periods.period_start,
        sum(voucher_rows.amount) as booked_amount
    from voucher_rows
    inner join control_accounts
        on control_accounts.company_id = voucher_rows.company_id
        and control_accounts.account_number = voucher_rows.account_number
        and control_accounts.control = 'output_vat'
    inner join vouchers on vouchers.voucher_id = voucher_rows.voucher_id
    inner join judged_periods
        on judged_periods.company_id = voucher_rows.company_id
        and vouchers.voucher_date between judged_periods.period_start and judged_periods.period_end
    left join settlement_vouchers on settlement_vouchers.voucher_id = voucher_rows.voucher_id
    left join uninvoiced_sales_series
        on uninvoiced_sales_series.company_id = vouchers.company_id
        and uninvoiced_sales_series.voucher_series = vouchers.voucher_series
    where settlement_vouchers.voucher_id is null
        and uninvoiced_sales_series.voucher_series is null
    group by judged_periods.company_id, judged_periods.period_start
),

invoiced as (
    select
        judged_periods.company_id,
        judged_periods.period_start,
        -- output VAT is a credit
        -sum(invoices.vat_amount) as invoiced_amount,
        count(*) - count(invoices.vat_amount) as invoices_without_vat
    from invoices
    inner join judged_periods
        on judged_periods.company_id = invoices.company_id
        and invoices.invoice_date between judged_periods.period_start and judged_periods.period_end
    group by judged_periods.company_id, judged_periods.period_start
),

explained as (
    select
        judged_periods.company_id,
        judged_periods.period_start,
        sum(reported.difference_amount) as explained_amount,
        string_agg(reported.document_number || ' (' || reported.reported_as || ')', ', '
            order by reported.document_number) as documents
    from reported
    inner join judged_periods
        on judged_periods.company_id = reported.company_id
        and reported.difference_date between judged_periods.period_start
            and judged_periods.period_end
    group by judged_periods.company_id, judged_periods.period_start
),

compared as (
    select
        judged_periods.company_id,
        judged_periods.period_start,
        coalesce(booked.booked_amount, 0) as booked_amount,
        coalesce(invoiced.invoiced_amount, 0) as invoiced_amount,
        coalesce(explained.explained_amount, 0) as explained_amount,
        explained.documents,
        coalesce(booked.booked_amount, 0) - coalesce(invoiced.invoiced_amount, 0)
            - coalesce(explained.explained_amount, 0) as unexplained_amount
    from judged_periods
    left join booked
        on booked.company_id = judged_periods.company_id
        and booked.period_start = judged_periods.period_start
    left join invoiced
        on invoiced.company_id = judged_periods.company_id
        and invoiced.period_start = judged_periods.period_start
    left join explained
        on explained.company_id = judged_periods.company_id
        and explained.period_start = judged_periods.period_start
    where coalesce(invoiced.invoices_without_vat, 0) = 0
),

final as (
    select
        company_id,
        'vat_mismatch' as kind,
        'period' as document_type,
        left(cast(period_start as {{ dbt.type_string() }}), 7) as document,
        'high' as severity,
        'output VAT booked in ' || left(cast(period_start as {{ dbt.type_string() }}), 7) || ' is '
        || cast({{ money('-booked_amount') }} as {{ dbt.type_string() }})
        || '; the customer invoices of the period carry '
        || cast({{ money('-invoiced_amount') }} as {{ dbt.type_string() }})
        || case when explained_amount <> 0
            then '; ' || cast({{ money('-explained_amount') }} as {{ dbt.type_string() }})
                || ' of the difference is reported by other findings (' || documents || ')'
            else '' end
        || '; ' || cast({{ money('-unexplained_amount') }} as {{ dbt.type_string() }})
        || ' is unexplained' as details,
        'Find the vouchers of the period on the output VAT accounts that no customer invoice'
        || ' explains, or the invoices whose VAT was not booked, and correct them before the'
        || ' VAT return is filed (or in the next one). If they are sales made without an'
        || ' invoice (a till, card settlements), list their voucher series in the seed'
        || ' vat_uninvoiced_sales_series' as suggested_action
    from compared
    where unexplained_amount <> 0
)

select * from final
