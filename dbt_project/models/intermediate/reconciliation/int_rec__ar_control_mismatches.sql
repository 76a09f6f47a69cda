{{ config(enabled=(ledgerbridge_source('sie') or ledgerbridge_source('fortnox'))
    and (ledgerbridge_source('fortnox') or ledgerbridge_source('tryton') or ledgerbridge_source('erp_files'))) }}
-- One row per company whose receivables accounts (kundfordringar, BAS 1510–1517 of its chart)
-- differ from its open customer invoices at the latest period end, by more than the
-- invoice-level findings explain (finding kind ar_control_mismatch). See the macro
-- reskontra_control_check.
{{ reskontra_control_check('receivables', 'fct_ar_open_items_monthly', 'ar_control_mismatch', 'customer invoices') }}
