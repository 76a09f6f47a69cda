{#- A voucher's key across companies and years: company | fiscal year start | series | number.
    Voucher numbers restart each fiscal year, so the year belongs in the key. -#}
{% macro sie_voucher_id() -%}
    company_id || '|' || cast(fiscal_year_start as {{ dbt.type_string() }})
        || '|' || voucher_series || '|' || voucher_number
{%- endmacro %}
