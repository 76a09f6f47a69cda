{#- The opening balances (IB) the books state for balance-sheet accounts, from
    int_ledger__balances and dim_account (relations or CTE names): company_id,
    fiscal_year_start, account_number, amount. fct_gl_balance_monthly opens each such year at
    them; rpt_balance_sheet knows from them which years brought the earlier results into
    equity. Fortnox and SIE leave zero balances out, so a year with any IB states every
    balance-sheet account's. -#}
{% macro stated_openings(balances, accounts) -%}
    select
        {{ balances }}.company_id,
        {{ balances }}.fiscal_year_start,
        {{ balances }}.account_number,
        {{ balances }}.amount
    from {{ balances }}
    inner join {{ accounts }}
        on {{ accounts }}.company_id = {{ balances }}.company_id
        and {{ accounts }}.account_number = {{ balances }}.account_number
    where {{ balances }}.balance_kind = 'IB'
        and {{ accounts }}.statement = 'balance_sheet'
{%- endmacro %}
