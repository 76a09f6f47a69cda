"""The voucher numbers a file has used so far, in memory that does not grow with the file.

A duplicate series and number must be reported with the line of the first one, so every
number's line is kept. Kept naively (a dict of (series, number) → line) that costs about 200
bytes a voucher, over a gigabyte for a gigabyte file. Numbers are almost always consecutive
within a series, so they are kept as runs: the first number of a run and an array of 4-byte
line numbers. Numbers that are not plain integers ("12A", "007") go to a dict.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Sequence


class _Run:
    __slots__ = ("first", "lines")

    def __init__(self, first: int, lines: array) -> None:
        self.first = first
        self.lines = lines

    @property
    def end(self) -> int:
        """One past the last number of the run."""
        return self.first + len(self.lines)


def _plain_integer(number: str) -> int | None:
    # "007" and "7" are different voucher numbers, so only the canonical spelling is a run member
    if number.isascii() and number.isdigit() and (number == "0" or number[0] != "0"):
        return int(number)
    return None


class VoucherKeys:
    def __init__(self) -> None:
        self._runs: dict[str, list[_Run]] = {}
        self._starts: dict[str, list[int]] = {}
        self._other: dict[tuple[str, str], int] = {}

    def earlier_line(self, series: str, number: str) -> int | None:
        """The line of the voucher that already has this series and number, if any."""
        value = _plain_integer(number)
        if value is None:
            return self._other.get((series, number))
        runs = self._runs.get(series)
        if not runs:
            return None
        i = bisect_right(self._starts[series], value) - 1
        if i >= 0 and value < runs[i].end:
            return runs[i].lines[value - runs[i].first]
        return None

    def add(self, series: str, number: str, line: int) -> None:
        """Remember a voucher whose series and number are not taken (see ``earlier_line``)."""
        value = _plain_integer(number)
        if value is None:
            self._other[(series, number)] = line
        else:
            self._add_consecutive(series, value, (line,))

    def is_free(self, series: str, first: int, count: int) -> bool:
        """Whether none of the numbers first … first+count-1 of ``series`` is taken."""
        runs = self._runs.get(series, [])
        i = bisect_right(self._starts.get(series, []), first) - 1
        if i >= 0 and runs[i].end > first:
            return False
        # a plain-integer number is never in the dict, so only the runs can hold it
        return not (i + 1 < len(runs) and runs[i + 1].first < first + count)

    def add_consecutive(self, series: str, first: int, lines: Sequence[int]) -> None:
        """Remember vouchers numbered first, first+1, … at ``lines`` (see ``is_free``)."""
        if lines:
            self._add_consecutive(series, first, lines)

    def _add_consecutive(self, series: str, first: int, lines: Sequence[int]) -> None:
        runs = self._runs.setdefault(series, [])
        starts = self._starts.setdefault(series, [])
        i = bisect_right(starts, first) - 1
        if i >= 0 and runs[i].end == first:
            runs[i].lines.extend(lines)
        else:
            runs.insert(i + 1, _Run(first, array("l", lines)))
            starts.insert(i + 1, first)
