"""The voucher numbers a file has used so far, in memory that does not grow much with the file.

A duplicate series and number must be reported with the line of the first one, so every
number's line is kept. Kept naively (a dict of (series, number) → line) that costs about 200
bytes a voucher, over a gigabyte for a gigabyte file. Numbers are nearly always dense within a
series, so plain integer numbers are kept in blocks of 64 consecutive numbers, each an array
of 4-byte line numbers (0 where a number is unused): about 4 bytes a voucher, any order of
arrival, constant time. Numbers that are not plain integers ("12A", "007") go to a dict.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

_SHIFT = 6
_SIZE = 1 << _SHIFT
_MASK = _SIZE - 1
_MAX_LINE = 2**31 - 1  # what a 4-byte slot holds; later lines (a 30 GB file) go to the dict


def _plain_integer(number: str) -> int | None:
    # "007" and "7" are different voucher numbers, so only the canonical spelling is a number
    if number.isascii() and number.isdigit() and (number == "0" or number[0] != "0"):
        return int(number)
    return None


class VoucherKeys:
    def __init__(self) -> None:
        self._blocks: dict[str, dict[int, array]] = {}
        self._other: dict[tuple[str, str], int] = {}
        self._integers_in_other = False

    def earlier_line(self, series: str, number: str) -> int | None:
        """The line of the voucher that already has this series and number, if any."""
        value = _plain_integer(number)
        if value is not None:
            block = self._blocks.get(series, {}).get(value >> _SHIFT)
            if block is not None and block[value & _MASK]:
                return block[value & _MASK]
        return self._other.get((series, number))

    def add(self, series: str, number: str, line: int) -> None:
        """Remember a voucher whose series and number are not taken (see ``earlier_line``)."""
        value = _plain_integer(number)
        if value is None or line > _MAX_LINE:
            self._other[(series, number)] = line
            self._integers_in_other |= value is not None
        else:
            self._block(series, value >> _SHIFT)[value & _MASK] = line

    def is_free(self, series: str, first: int, count: int) -> bool:
        """Whether none of the numbers first … first+count-1 of ``series`` is taken."""
        blocks = self._blocks.get(series, {})
        last = first + count - 1
        for index in range(first >> _SHIFT, (last >> _SHIFT) + 1):
            block = blocks.get(index)
            if block is None:
                continue
            start = max(first, index << _SHIFT) & _MASK
            stop = (min(last, (index << _SHIFT) | _MASK) & _MASK) + 1
            if any(block[start:stop]):
                return False
        if self._integers_in_other:
            return not any((series, str(n)) in self._other for n in range(first, last + 1))
        return True

    def add_consecutive(self, series: str, first: int, lines: Sequence[int]) -> None:
        """Remember vouchers numbered first, first+1, … at ``lines`` (see ``is_free``)."""
        if lines and max(lines) > _MAX_LINE:
            for offset, line in enumerate(lines):
                self.add(series, str(first + offset), line)
            return
        done = 0
        while done < len(lines):
            value = first + done
            start = value & _MASK
            take = min(_SIZE - start, len(lines) - done)
            block = self._block(series, value >> _SHIFT)
            block[start : start + take] = array("i", lines[done : done + take])
            done += take

    def _block(self, series: str, index: int) -> array:
        blocks = self._blocks.setdefault(series, {})
        block = blocks.get(index)
        if block is None:
            block = blocks[index] = array("i", bytes(4 * _SIZE))
        return block
