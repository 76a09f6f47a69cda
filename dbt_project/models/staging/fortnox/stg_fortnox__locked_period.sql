{{ config(enabled=ledgerbridge_source('fortnox')) }}
-- One row per company: the last day of the locked period (no voucher can be booked on or
-- before it), or null when nothing is locked.
select
    company_id,
    end_date as locked_until,
    fetched_at
from {{ source('raw_fortnox', 'locked_period') }}
