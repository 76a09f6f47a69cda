{#- An e-invoice amount signed by its document: a credit note's is negative, as money. -#}
{% macro signed_by_document(column) -%}
    {{ money(column ~ " * case when document_type = 'credit_note' then -1 else 1 end") }}
{%- endmacro %}
