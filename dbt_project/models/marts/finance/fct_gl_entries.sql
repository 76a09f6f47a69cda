{{ config(
    enabled=ledgerbridge_source('sie') or ledgerbridge_source('fortnox'),
    materialized='incremental',
    unique_key='gl_entry_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook=[
        "{{ gl_entries_forget_unbooked() if is_incremental() else 'select 1' }}",
    ],
) }}
-- One row per booked voucher row: the general ledger, in every dimension, from each company's
-- system of record (SIE files or Fortnox; see int_ledger__companies).
--
-- Incremental: a build reads only the vouchers landed after the newest one already here
-- (per company, by loaded_at: a new Fortnox read or a new SIE file, which replaces its year
-- whole and so reloads every voucher of it), those not here at all and those whose number
-- of booked rows differs from what is here, and replaces their rows by gl_entry_id; the
-- post-hook then drops the rows that are no longer booked (a removed row, a voucher gone
-- from a replaced export). A full refresh gives the same table.
{# a table built before the mark existed is read whole once (and gains the columns) #}
{% set read_new_only = is_incremental()
    and '_loaded_at' in (adapter.get_columns_in_relation(this) | map(attribute="name") | list) %}
with

voucher_rows as (
    -- booked rows only (SIE #TRANS, Fortnox rows not removed)
    select * from {{ ref('int_ledger__voucher_rows') }}
),

vouchers as (
    select * from {{ ref('int_ledger__vouchers') }}
),

periods as (
    select * from {{ ref('dim_fiscal_period') }}
),

{% if read_new_only -%}
loaded_through as (
    -- per company, the newest landing this table has read
    select company_id, max(_loaded_at) as loaded_at
    from {{ this }}
    group by company_id
),

new_vouchers as (
    select vouchers.voucher_id
    from vouchers
    left join loaded_through
        on loaded_through.company_id = vouchers.company_id
    where loaded_through.loaded_at is null
        or vouchers.loaded_at > loaded_through.loaded_at
    union
    -- a voucher never read, whatever its landing time
    select vouchers.voucher_id
    from vouchers
    left join (select distinct voucher_id from {{ this }}) as known
        on known.voucher_id = vouchers.voucher_id
    where known.voucher_id is null
    union
    -- a voucher whose booked rows changed in number without a new landing time (a row that
    -- arrived late or was removed after the voucher was read)
    select booked.voucher_id
    from (
        select voucher_id, count(*) as booked_rows
        from voucher_rows
        group by voucher_id
    ) as booked
    inner join (
        select voucher_id, count(*) as built_rows
        from {{ this }}
        group by voucher_id
    ) as built
        on built.voucher_id = booked.voucher_id
    where built.built_rows <> booked.booked_rows
),

vouchers_to_read as (
    select vouchers.*
    from vouchers
    inner join new_vouchers
        on new_vouchers.voucher_id = vouchers.voucher_id
),
{%- else -%}
vouchers_to_read as (
    select * from vouchers
),
{%- endif %}

final as (
    select
        -- keys
        {{ gl_entry_id('voucher_rows') }} as gl_entry_id,
        voucher_rows.voucher_id,
        voucher_rows.company_id,
        voucher_rows.fiscal_year_start,
        periods.fiscal_year,
        periods.fiscal_period_number,
        periods.period_start,
        voucher_rows.voucher_series,
        voucher_rows.voucher_number,
        voucher_rows.row_number,
        -- dates
        vouchers_to_read.voucher_date,
        coalesce(voucher_rows.transaction_date, vouchers_to_read.voucher_date) as transaction_date,
        -- dimensions
        voucher_rows.account_number,
        voucher_rows.cost_centre_code,
        voucher_rows.project_code,
        -- amounts (debit positive)
        voucher_rows.amount,
        -- descriptions and lineage
        vouchers_to_read.voucher_text,
        voucher_rows.row_text,
        voucher_rows.source_system,
        vouchers_to_read.source_file_sha256,
        voucher_rows.voucher_series || ' ' || voucher_rows.voucher_number as voucher_reference,
        vouchers_to_read.source_document_type,
        vouchers_to_read.source_document_number,
        vouchers_to_read.loaded_at as _loaded_at,
        -- the dbt invocation that wrote the row: an incremental build rewrites new rows only
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as _batch_id
    from voucher_rows
    inner join vouchers_to_read
        on vouchers_to_read.voucher_id = voucher_rows.voucher_id
    left join periods
        on periods.company_id = voucher_rows.company_id
        and periods.fiscal_year_start = voucher_rows.fiscal_year_start
        and vouchers_to_read.voucher_date between periods.period_start and periods.period_end
)

select * from final
