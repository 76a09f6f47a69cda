{%- set sie = ledgerbridge_source('sie') -%}
{%- set fortnox = ledgerbridge_source('fortnox') -%}
{{ config(enabled=sie or fortnox) }}
-- One row per company, fiscal year, balance kind and account, debit positive: IB (opening
-- balance), UB (closing balance) and RES (result) as the company's system of record states
-- them (int_ledger__companies). An SIE export states all three. Fortnox's API states the
-- opening balance only (BalanceBroughtForward of its accounts list), so a Fortnox company has
-- IB rows only; what needs UB or RES (the tie-out to exported balances) applies to SIE books.
with

companies as (
    select * from {{ ref('int_ledger__companies') }}
),

{% if fortnox -%}
fortnox_balances as (
    select
        company_id,
        fiscal_year_start,
        'IB' as balance_kind,
        account_number,
        opening_balance as amount,
        'fortnox' as source_system
    from {{ ref('stg_fortnox__accounts') }}
    -- Fortnox lists every account of the chart, most with a zero balance brought forward; an
    -- SIE export states the non-zero ones, and so does this model, so that a zero IB does
    -- not put every account of the chart in the trial balance
    where opening_balance <> 0
),
{%- endif %}

{% if sie -%}
sie_balances as (
    select
        company_id,
        fiscal_year_start,
        balance_kind,
        account_number,
        amount,
        'sie' as source_system
    from {{ ref('stg_sie__balances') }}
),
{%- endif %}

unioned as (
    {% if fortnox %}select * from fortnox_balances{% endif %}
    {% if fortnox and sie %}union all{% endif %}
    {% if sie %}select * from sie_balances{% endif %}
),

final as (
    select
        -- keys
        unioned.company_id,
        unioned.fiscal_year_start,
        unioned.balance_kind,
        unioned.account_number,
        -- amounts (debit positive)
        {{ money('unioned.amount') }} as amount,
        -- lineage
        unioned.source_system
    from unioned
    -- a company's rows from the other system are left out
    inner join companies
        on companies.company_id = unioned.company_id
        and companies.source_system = unioned.source_system
)

select * from final
