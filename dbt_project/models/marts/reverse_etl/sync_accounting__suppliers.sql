{{ config(enabled=ledgerbridge_source('tryton') and ledgerbridge_source('fortnox')) }}
-- Suppliers to write to the company's Fortnox register from the ERP (macros/register_sync.sql).
-- Never their payment accounts: a bankgiro that only an invoice vouches for is how invoice
-- fraud pays the wrong account (the master-data check reports those for a person to confirm).
{{ register_sync('supplier') }}
