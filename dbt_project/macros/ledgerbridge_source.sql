{#- Whether a source's raw data is in the warehouse. `ledgerbridge build` passes the list it
    finds (var ledgerbridge_sources); by hand, every source is assumed present. Models of a
    source that is absent are disabled rather than failing on a missing raw table. -#}
{% macro ledgerbridge_source(name) %}
    {{ return(name in var('ledgerbridge_sources', ['sie', 'erp_files', 'tryton', 'bank', 'einvoice', 'fortnox', 'budget'])) }}
{% endmacro %}
