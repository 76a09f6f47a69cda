"""Voucher numbers seen so far: runs of consecutive numbers, exact lines for duplicates."""

from __future__ import annotations

from ledgerbridge.formats.sie.voucher_keys import VoucherKeys


def test_consecutive_numbers_form_one_run_and_remember_their_lines() -> None:
    keys = VoucherKeys()
    for n in range(1, 1001):
        keys.add("A", str(n), 10 * n)
    assert keys.earlier_line("A", "1") == 10
    assert keys.earlier_line("A", "1000") == 10_000
    assert keys.earlier_line("A", "1001") is None
    assert keys.earlier_line("B", "1") is None
    assert len(keys._blocks["A"]) == 16  # 4-byte slots in blocks of 64, not 1,000 entries


def test_descending_and_scattered_numbers_stay_cheap() -> None:
    keys = VoucherKeys()
    for n in range(200_000, 0, -1):
        keys.add("A", str(n), n + 7)
    for n in range(1, 10_000_000, 9_973):
        keys.add("B", str(n), 1)
    assert keys.earlier_line("A", "1") == 8 and keys.earlier_line("A", "200000") == 200_007
    assert keys.earlier_line("B", str(1 + 9_973)) == 1 and keys.earlier_line("B", "2") is None
    assert not keys.is_free("A", 199_990, 20) and keys.is_free("A", 200_001, 500)


def test_out_of_order_numbers_and_gaps() -> None:
    keys = VoucherKeys()
    for n, line in [(5, 1), (3, 2), (4, 3), (10, 4), (1, 5)]:
        assert keys.earlier_line("A", str(n)) is None
        keys.add("A", str(n), line)
    assert [keys.earlier_line("A", str(n)) for n in (1, 2, 3, 4, 5, 6, 10)] == [
        5, None, 2, 3, 1, None, 4,
    ]  # fmt: skip


def test_spellings_that_are_not_plain_integers_are_their_own_numbers() -> None:
    keys = VoucherKeys()
    keys.add("A", "7", 1)
    keys.add("A", "007", 2)
    keys.add("A", "12A", 3)
    keys.add("", "", 4)
    assert keys.earlier_line("A", "7") == 1
    assert keys.earlier_line("A", "007") == 2
    assert keys.earlier_line("A", "07") is None
    assert keys.earlier_line("A", "12A") == 3
    assert keys.earlier_line("A", "12") is None
    assert keys.earlier_line("", "") == 4


def test_a_block_of_numbers_is_free_only_when_none_is_taken() -> None:
    keys = VoucherKeys()
    keys.add_consecutive("A", 1, [10, 11, 12])  # 1, 2, 3
    keys.add_consecutive("A", 10, [20, 21])  # 10, 11
    assert keys.is_free("A", 4, 6)  # 4 … 9
    assert not keys.is_free("A", 4, 7)  # 4 … 10
    assert not keys.is_free("A", 3, 1)
    assert not keys.is_free("A", 0, 2)  # 0, 1
    assert keys.is_free("A", 12, 100)
    assert keys.is_free("B", 1, 3)
    keys.add_consecutive("A", 4, [13, 14])  # joins the first run
    assert keys.earlier_line("A", "5") == 14
    assert keys.earlier_line("A", "11") == 21
