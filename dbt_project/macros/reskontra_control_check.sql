{#- The body of a control-account check (int_rec__ar_control_mismatches,
    int_rec__ap_control_mismatches): at every fiscal period end the books and the reskontra
    have both reached, the balance of the control's accounts against the sum of the open items
    as of that day, less the differences invoice-level findings already report
    (int_reskontra__reported_booking_differences). One finding per company when a difference is
    left at the latest of those period ends, with since when it has been there. -#}
{% macro reskontra_control_check(control, open_items_model, kind, invoices_label) %}
with

balances as (
    select * from {{ ref('int_reskontra__control_balances') }}
    where control = '{{ control }}'
),

control_accounts as (
    select * from {{ ref('int_reskontra__control_accounts') }}
    where control = '{{ control }}'
),

open_items as (
    select * from {{ ref(open_items_model) }}
),

invoices as (
    select * from {{ ref('int_reskontra__invoices') }}
),

payments as (
    select * from {{ ref('int_reskontra__payments') }}
),

reported as (
    select * from {{ ref('int_reskontra__reported_booking_differences') }}
    where control = '{{ control }}'
),

vouchers as (
    select * from {{ ref('int_ledger__vouchers') }}
),

periods as (
    select * from {{ ref('int_fiscal_periods_generated') }}
),

-- the period ends both the books and the reskontra (its invoices and payments) have
-- reached: their month has started
reach as (
    select
        books.company_id,
        case when books.reached < reskontra.reached then books.reached else reskontra.reached end
            as reached
    from (
        select company_id, max(voucher_date) as reached from vouchers group by company_id
    ) as books
    inner join (
        select company_id, max(reached) as reached
        from (
            select company_id, max(invoice_date) as reached from invoices group by company_id
            union all
            select company_id, max(payment_date) as reached from payments group by company_id
        ) as dates
        group by company_id
    ) as reskontra
        on reskontra.company_id = books.company_id
),

period_ends as (
    select periods.company_id, periods.period_end
    from periods
    inner join reach
        on reach.company_id = periods.company_id
        and periods.period_start <= reach.reached
),

open_totals as (
    select company_id, period_end, sum(open_amount) as open_amount
    from open_items
    group by company_id, period_end
),

explained as (
    select
        period_ends.company_id,
        period_ends.period_end,
        sum(reported.difference_amount) as explained_amount
    from period_ends
    inner join reported
        on reported.company_id = period_ends.company_id
        and reported.difference_date <= period_ends.period_end
    group by period_ends.company_id, period_ends.period_end
),

compared as (
    select
        period_ends.company_id,
        period_ends.period_end,
        coalesce(balances.balance, 0) as ledger_amount,
        coalesce(open_totals.open_amount, 0) as open_amount,
        coalesce(explained.explained_amount, 0) as explained_amount,
        coalesce(balances.balance, 0) - coalesce(open_totals.open_amount, 0)
            - coalesce(explained.explained_amount, 0) as unexplained_amount
    from period_ends
    left join balances
        on balances.company_id = period_ends.company_id
        and balances.as_of_date = period_ends.period_end
    left join open_totals
        on open_totals.company_id = period_ends.company_id
        and open_totals.period_end = period_ends.period_end
    left join explained
        on explained.company_id = period_ends.company_id
        and explained.period_end = period_ends.period_end
),

{{ difference_since('compared', 'period_end', 'unexplained_amount') }}

reported_documents as (
    select
        company_id,
        string_agg(document_number || ' (' || reported_as || ')', ', ' order by document_number)
            as documents
    from (select distinct company_id, document_number, reported_as from reported) as docs
    group by company_id
),

accounts as (
    select company_id, string_agg(account_number, ', ' order by account_number) as account_list
    from control_accounts
    group by company_id
),

final as (
    select
        compared.company_id,
        '{{ kind }}' as kind,
        -- what the document is: the control accounts
        'account' as document_type,
        accounts.account_list as document,
        'high' as severity,
        'account ' || accounts.account_list || ' holds '
        || cast({{ money('compared.ledger_amount') }} as {{ dbt.type_string() }})
        || ' at ' || cast(compared.period_end as {{ dbt.type_string() }})
        || '; the open {{ invoices_label }} sum to '
        || cast({{ money('compared.open_amount') }} as {{ dbt.type_string() }})
        || case when compared.explained_amount <> 0
            then '; ' || cast({{ money('compared.explained_amount') }} as {{ dbt.type_string() }})
                || ' of the difference is reported by other findings ('
                || reported_documents.documents || ')'
            else '' end
        || '; ' || cast({{ money('compared.unexplained_amount') }} as {{ dbt.type_string() }})
        || ' is unexplained, since ' || cast(since.period_end as {{ dbt.type_string() }})
            as details,
        'Find the vouchers on account ' || accounts.account_list || ' since '
        || cast(since.period_end as {{ dbt.type_string() }})
        || ' that no invoice or payment of the reskontra explains (a payment or write-off'
        || ' booked by hand, an opening balance) and correct the books or the register'
            as suggested_action
    from compared
    inner join latest
        on latest.company_id = compared.company_id
        and latest.period_end = compared.period_end
    inner join since on since.company_id = compared.company_id
    inner join accounts on accounts.company_id = compared.company_id
    left join reported_documents on reported_documents.company_id = compared.company_id
    where compared.unexplained_amount <> 0
)

select * from final
{% endmacro %}
