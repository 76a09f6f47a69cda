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
-- One row per booked voucher row of the company's system of record (int_ledger__companies),
-- debit positive. Rows that are not booked stay out: SIE's struck (#BTRANS) and added-later
-- (#RTRANS, which the file repeats as a #TRANS) rows, and the rows Fortnox marks removed.
--
-- Kept per part of the books (a company's fiscal year): a build after new data rewrites the
-- parts whose raw vouchers changed and leaves the others, as a full build would write them
-- (macros/changed_partitions.sql, decision 0035).
with

companies as (
    select * from {{ ref('int_ledger__companies') }}
),

{% if fortnox -%}
fortnox_rows as (
    select
        voucher_id,
        company_id,
        fiscal_year_start,
        voucher_series,
        voucher_number,
        row_number,
        -- a Fortnox row has no date of its own: it is booked on its voucher's date
        cast(null as date) as transaction_date,
        account_number,
        cost_centre_code,
        project_code,
        amount,
        row_text,
        'fortnox' as source_system
    from {{ ref('stg_fortnox__voucher_rows') }}
    where not is_removed
        and {{ in_changed_partitions() }}
),
{%- endif %}

{% if sie -%}
sie_rows as (
    select
        voucher_id,
        company_id,
        fiscal_year_start,
        voucher_series,
        voucher_number,
        row_number,
        transaction_date,
        account_number,
        cost_centre_code,
        project_code,
        amount,
        row_text,
        'sie' as source_system
    from {{ ref('stg_sie__voucher_rows') }}
    where row_kind = 'TRANS'
        and {{ in_changed_partitions() }}
),
{%- endif %}

unioned as (
    {% if fortnox %}select * from fortnox_rows{% endif %}
    {% if fortnox and sie %}union all{% endif %}
    {% if sie %}select * from sie_rows{% endif %}
),

final as (
    select
        -- keys
        unioned.voucher_id,
        unioned.company_id,
        unioned.fiscal_year_start,
        unioned.voucher_series,
        unioned.voucher_number,
        unioned.row_number,
        -- dates
        unioned.transaction_date,
        -- dimensions
        unioned.account_number,
        unioned.cost_centre_code,
        unioned.project_code,
        -- amounts (debit positive)
        {{ money('unioned.amount') }} as amount,
        -- descriptions and lineage
        unioned.row_text,
        unioned.source_system
    from unioned
    -- a company's rows from the other system are left out
    inner join companies
        on companies.company_id = unioned.company_id
        and companies.source_system = unioned.source_system
)

select * from final
