{#- A general-ledger row's key: its voucher's id and its row number. -#}
{% macro gl_entry_id(relation) -%}
    {{ relation }}.voucher_id || '|' || cast({{ relation }}.row_number as {{ dbt.type_string() }})
{%- endmacro %}

{#- The post-hook of a model incremental on vouchers' content (fct_gl_entries,
    int_rec__voucher_facts), after an incremental build: drop the rows of vouchers no longer
    booked as they are here (a voucher a replaced SIE export no longer holds, one whose every
    row Fortnox marks removed), so that the table equals a full refresh. A changed voucher's
    rows were replaced whole by the build; what is left with another hash is gone. The model
    keeps the hash it was built from in `_content_hash`. -#}
{% macro forget_vouchers_not_built_as_booked() -%}
    delete from {{ this }} as built
    where not exists (
        select 1
        from {{ ref('int_ledger__vouchers') }} as vouchers
        where vouchers.voucher_id = built.voucher_id
            and vouchers.content_hash = built._content_hash
    )
{%- endmacro %}

{#- fct_gl_entries' second post-hook: a voucher read again unchanged (an SIE year exported
    again, a Fortnox voucher fetched again, the same voucher read from Fortnox once a company
    with SIE files gets Fortnox data) keeps its rows; only where and when it was read are
    brought up to date, as a full refresh would write them. -#}
{% macro gl_entries_refresh_lineage() -%}
    update {{ this }} as entries
    set source_system = vouchers.source_system,
        source_file_sha256 = vouchers.source_file_sha256,
        _loaded_at = vouchers.loaded_at
    from {{ ref('int_ledger__vouchers') }} as vouchers
    where vouchers.voucher_id = entries.voucher_id
        and (
            entries.source_system is distinct from vouchers.source_system
            or entries.source_file_sha256 is distinct from vouchers.source_file_sha256
            or entries._loaded_at is distinct from vouchers.loaded_at
        )
{%- endmacro %}
