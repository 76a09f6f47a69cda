"""An export of a fiscal year made before the year ended: how new vouchers arrive as SIE.

An accounting program exports the open year again whenever there is more of it; each export
holds every voucher so far and the balances as of its day. The generator writes each year's
final export; ``write_interim_export`` derives from one the export the program would have
written some days earlier, so a test or benchmark can load the earlier one and then the final
one as "new data" (the rows in between).
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sandbox.demo_company.chart import is_balance_account

_VER = re.compile(rb'^#VER\s+(?:"[^"]*"|\S+)\s+(?:"[^"]*"|\S+)\s+(\d{8})')
_TRANS = re.compile(rb"^\s*#TRANS\s+(\S+)\s+\{[^}]*\}\s+(-?\d+(?:\.\d+)?)")
_BALANCE = re.compile(rb"^#(UB|RES)\s+0\s+(\S+)\s+(-?\d+(?:\.\d+)?)")


@dataclass
class Interim:
    """An export of a fiscal year made before its end."""

    cutoff: date  # the last day it holds
    rows: int  # voucher rows it holds
    later_rows: int  # voucher rows of the full year's export that it lacks


def write_interim_export(full: Path, target: Path, later_rows: int) -> Interim:
    """``target``: the SIE 4E export of ``full``'s fiscal year as of the last day before its
    last ``later_rows`` voucher rows (whole days), with its #UB 0 and #RES 0 balances as of that
    day and #GEN the day after, as the accounting program would have written it then.
    The demo books vouchers in date order, so a day's vouchers follow each other."""
    day_starts: dict[date, int] = {}  # byte offset of each day's first voucher
    day_rows: dict[date, int] = defaultdict(int)
    day = None
    offset = 0
    with open(full, "rb") as f:
        for line in f:
            if line.startswith(b"#VER"):
                found = _VER.match(line)
                assert found, line
                day = date(*(int(found[1][i:j]) for i, j in ((0, 4), (4, 6), (6, 8))))
                day_starts.setdefault(day, offset)
            elif day is not None and line.lstrip().startswith(b"#TRANS"):
                day_rows[day] += 1
            offset += len(line)
    days = sorted(day_rows)
    later = 0
    while days and later < later_rows:
        later += day_rows[days.pop()]
    assert days, "the share of new rows would leave the year empty"
    cutoff = days[-1]
    cut = day_starts[min(d for d in day_starts if d > cutoff)]
    with open(full, "rb") as f:
        header_end = min(day_starts.values())
        header = f.read(header_end).splitlines(keepends=True)
        body = f.read(cut - header_end)
        tail = f.read()
    later_sums: dict[str, Decimal] = defaultdict(Decimal)
    for line in tail.splitlines():
        found = _TRANS.match(line)
        if found:
            later_sums[found[1].decode()] += Decimal(found[2].decode())
    stated: dict[str, dict[str, Decimal]] = {"UB": {}, "RES": {}}
    for line in header:
        found = _BALANCE.match(line)
        if found:
            stated[found[1].decode()][found[2].decode()] = Decimal(found[3].decode())
    for account, amount in later_sums.items():
        kind = "UB" if is_balance_account(account) else "RES"
        stated[kind][account] = stated[kind].get(account, Decimal(0)) - amount
    lines: list[bytes] = []
    written = set()
    for line in header:
        found = _BALANCE.match(line)
        if line.startswith(b"#GEN"):
            line = b"#GEN " + (cutoff + timedelta(days=1)).strftime("%Y%m%d").encode() + b"\r\n"
        elif found:
            kind = found[1].decode()
            if kind in written:
                continue
            written.add(kind)
            lines += [
                f"#{kind} 0 {account} {amount:.2f}\r\n".encode()
                for account, amount in sorted(stated[kind].items())
                if amount
            ]
            continue
        lines.append(line)
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as out:
        out.writelines(lines)
        out.write(body)
    os.replace(tmp, target)
    rows = sum(day_rows[d] for d in days)
    return Interim(cutoff, rows, sum(day_rows.values()) - rows)
