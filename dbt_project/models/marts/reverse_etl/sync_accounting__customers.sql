{{ config(enabled=ledgerbridge_source('tryton') and ledgerbridge_source('fortnox')) }}
-- Customers to write to the company's Fortnox register from the ERP (macros/register_sync.sql).
{{ register_sync('customer') }}
