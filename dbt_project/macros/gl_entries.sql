{#- A general-ledger row's key: its voucher's id and its row number. -#}
{% macro gl_entry_id(relation) -%}
    {{ relation }}.voucher_id || '|' || cast({{ relation }}.row_number as {{ dbt.type_string() }})
{%- endmacro %}

{#- fct_gl_entries' post-hook after an incremental build: drop the rows that are no longer
    booked (a row Fortnox marks removed, a voucher a replaced SIE export no longer holds), so
    that the table equals a full refresh. -#}
{% macro gl_entries_forget_unbooked() -%}
    delete from {{ this }} as entries
    where not exists (
        select 1
        from {{ ref('int_ledger__voucher_rows') }} as booked
        where {{ gl_entry_id('booked') }} = entries.gl_entry_id
    )
{%- endmacro %}
