{#- A voucher's key across companies and years: company | fiscal year start | series | number,
    and the occurrence when a file repeats a series and number (some programs give every
    automatic voucher "# 1"). Voucher numbers restart each fiscal year, so the year belongs in
    the key. -#}
{% macro sie_voucher_id() -%}
    company_id || '|' || cast(fiscal_year_start as {{ dbt.type_string() }})
        || '|' || voucher_series || '|' || voucher_number
        || case when voucher_occurrence > 1
            then '|' || cast(voucher_occurrence as {{ dbt.type_string() }}) else '' end
{%- endmacro %}
