{{ config(enabled=(ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))
    and (ledgerbridge_source('fortnox') or ledgerbridge_source('tryton') or ledgerbridge_source('erp_files'))) }}
-- One row per company whose payables accounts (leverantörsskulder, BAS 2440–2447 of its
-- chart) differ from its open supplier invoices at the latest period end, by more than the
-- invoice-level findings explain (finding kind ap_control_mismatch). See the macro
-- reskontra_control_check.
{{ reskontra_control_check('payables', 'fct_ap_open_items_monthly', 'ap_control_mismatch', 'supplier invoices') }}
