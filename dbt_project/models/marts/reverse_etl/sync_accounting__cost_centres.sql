{{ config(enabled=ledgerbridge_source('tryton') and ledgerbridge_source('fortnox')) }}
-- Cost centres the ERP has and Fortnox lacks, to create there (macros/dimension_sync.sql).
{{ dimension_sync('cost_centre') }}
