{%- set sie = ledgerbridge_source('sie') -%}
{%- set fortnox = ledgerbridge_source('fortnox') -%}
{{ config(
    enabled=sie or fortnox,
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ forget_changed_partitions() if is_incremental() else 'select 1' }}",
    post_hook="{{ forget_companies_not_of_record() if is_incremental() else 'select 1' }}",
) }}
-- One row per voucher (verifikation) of the company's system of record
-- (int_ledger__companies). voucher_id is company | fiscal year start | series | number in
-- both systems, so one voucher has one key whichever system it was read from.
--
-- content_hash fingerprints what the voucher books (its date, text, source document and
-- booked rows) and leaves out where and when it was read: an export of the year made again
-- gives an unchanged voucher the same hash, so incremental models rewrite only what changed.
--
-- Kept per part of the books, as int_ledger__voucher_rows is (decision 0035).
with

companies as (
    select * from {{ ref('int_ledger__companies') }}
),

{% if fortnox -%}
fortnox_vouchers as (
    select
        voucher_id,
        company_id,
        fiscal_year_start,
        voucher_series,
        voucher_number,
        voucher_date,
        voucher_text,
        reference_type as source_document_type,
        cast(reference_number as {{ dbt.type_string() }}) as source_document_number,
        'fortnox' as source_system,
        -- read over the API, not from a file
        cast(null as {{ dbt.type_string() }}) as source_file_sha256,
        cast(fetched_at as timestamp with time zone) as loaded_at
    from {{ ref('stg_fortnox__vouchers') }}
    where {{ in_changed_partitions() }}
),
{%- endif %}

{% if sie -%}
sie_vouchers as (
    select
        vouchers.voucher_id,
        vouchers.company_id,
        vouchers.fiscal_year_start,
        vouchers.voucher_series,
        vouchers.voucher_number,
        vouchers.voucher_date,
        vouchers.voucher_text,
        cast(null as {{ dbt.type_string() }}) as source_document_type,
        cast(null as {{ dbt.type_string() }}) as source_document_number,
        'sie' as source_system,
        vouchers.source_file_sha256,
        -- a replaced export is a new file: its vouchers count as loaded anew
        cast(files.loaded_at as timestamp with time zone) as loaded_at
    from {{ ref('stg_sie__vouchers') }} as vouchers
    inner join {{ ref('stg_sie__files') }} as files
        on files.file_sha256 = vouchers.source_file_sha256
    where {{ in_changed_partitions('vouchers.') }}
),
{%- endif %}

unioned as (
    {% if fortnox %}select * from fortnox_vouchers{% endif %}
    {% if fortnox and sie %}union all{% endif %}
    {% if sie %}select * from sie_vouchers{% endif %}
),

row_fingerprints as (
    select
        voucher_id,
        {{ fingerprint_sum([
            'row_number', 'transaction_date', 'account_number', 'cost_centre_code',
            'project_code', 'amount', 'row_text',
        ]) }} as rows_fingerprint
    from {{ ref('int_ledger__voucher_rows') }}
    where {{ in_changed_partitions() }}
    group by voucher_id
),

final as (
    select
        -- keys
        unioned.voucher_id,
        unioned.company_id,
        unioned.fiscal_year_start,
        unioned.voucher_series,
        unioned.voucher_number,
        -- dates
        unioned.voucher_date,
        -- descriptions and lineage
        unioned.voucher_text,
        unioned.source_document_type,
        unioned.source_document_number,
        unioned.source_system,
        unioned.source_file_sha256,
        -- when the voucher was landed (lineage: a re-read voucher gets a new time)
        unioned.loaded_at,
        -- what the voucher books, for telling a changed voucher from a re-read one
        cast({{ row_hash([
            'unioned.voucher_date', 'unioned.voucher_text', 'unioned.source_document_type',
            'unioned.source_document_number',
        ]) }} as {{ dbt.type_string() }})
        || ':' || coalesce(row_fingerprints.rows_fingerprint, '-') as content_hash
    from unioned
    -- a company's rows from the other system are left out
    inner join companies
        on companies.company_id = unioned.company_id
        and companies.source_system = unioned.source_system
    -- a voucher with no booked row left (every row removed) has none
    left join row_fingerprints
        on row_fingerprints.voucher_id = unioned.voucher_id
)

select * from final
