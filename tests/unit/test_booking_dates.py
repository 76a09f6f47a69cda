"""The date a planned voucher is booked on (reverse_etl.syncs.booking_date)."""

from __future__ import annotations

from datetime import date

from reverse_etl.syncs import OpenBooks, booking_date

BOOKS_2025 = OpenBooks(last_year_start=date(2025, 1, 1), locked_until=None)


def test_a_correction_is_dated_on_the_voucher_it_corrects() -> None:
    assert booking_date(date(2025, 3, 4), BOOKS_2025, None) == date(2025, 3, 4)


def test_a_voucher_of_a_closed_year_is_corrected_in_the_last_one() -> None:
    assert booking_date(date(2024, 10, 7), BOOKS_2025, None) == date(2025, 1, 1)


def test_a_locked_period_moves_the_correction_past_the_lock() -> None:
    locked = OpenBooks(last_year_start=date(2025, 1, 1), locked_until=date(2025, 11, 30))
    assert booking_date(date(2025, 3, 4), locked, None) == date(2025, 12, 1)
    assert booking_date(date(2025, 12, 15), locked, None) == date(2025, 12, 15)
    # a date asked for is moved past the lock too
    assert booking_date(date(2025, 3, 4), locked, date(2025, 6, 30)) == date(2025, 12, 1)


def test_a_date_asked_for_is_kept_but_never_before_what_is_corrected() -> None:
    # an earlier year when asked for: the accounting system says whether it is still open
    assert booking_date(date(2024, 10, 7), BOOKS_2025, date(2024, 12, 31)) == date(2024, 12, 31)
    assert booking_date(date(2025, 3, 4), BOOKS_2025, date(2025, 1, 31)) == date(2025, 3, 4)
    assert booking_date(date(2025, 3, 4), None, None) == date(2025, 3, 4)
