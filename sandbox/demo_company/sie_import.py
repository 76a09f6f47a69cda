"""What a company's accounting program does with a SIE 4I file it imports, for the demo's
companies whose books are SIE files: it books the file's vouchers, numbered after the last of
their series, and its next export of the year holds them, balances restated.

This closes the reverse ETL's loop for such a company in tests and in the demo: a correction
voucher written to outbox/ is imported, exported again and read back by the next ingestion.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from ledgerbridge.formats.sie import Balance, SieReader, Voucher
from ledgerbridge.formats.sie.writer import write_sie
from sandbox.demo_company.chart import is_balance_account


def import_sie4i(export: Path, sie4i: Path) -> list[Voucher]:
    """Book ``sie4i``'s vouchers in the year ``export`` holds and write that export again
    (atomically). Returns the vouchers as booked. Raises ValueError for a voucher dated
    outside the export's year, as a program refuses it."""
    with SieReader(export, mode="strict") as reader:
        booked = list(reader.vouchers())
        header = reader.header
    with SieReader(sie4i, mode="strict") as reader:
        imported = list(reader.vouchers())
    year = header.fiscal_year(0)
    if year is None:
        raise ValueError(f"{export}: not an export of a fiscal year (no #RAR 0)")
    last: dict[str, int] = defaultdict(int)
    for voucher in booked:
        if voucher.number.isdigit():
            last[voucher.series] = max(last[voucher.series], int(voucher.number))
    new = []
    for voucher in imported:
        if not year.start <= voucher.date <= year.end:
            raise ValueError(
                f"{sie4i}: {voucher.describe()} is outside the fiscal year "
                f"{year.start}–{year.end} of {export}"
            )
        last[voucher.series] += 1
        new.append(replace(voucher, number=str(last[voucher.series])))
    header.balances = _restated(header.balances, new)
    partial = export.with_name(export.name + ".importing")
    write_sie(partial, header, [*booked, *new], kind="4E")
    os.replace(partial, export)
    return new


def unbook(export: Path, which: Callable[[Voucher], bool]) -> list[Voucher]:
    """The year ``export`` holds as it was before the vouchers ``which`` picks were booked
    (balances restated), written again atomically: for a test, a month its bookkeeper has
    not booked yet. Returns the vouchers taken out."""
    with SieReader(export, mode="strict") as reader:
        booked = list(reader.vouchers())
        header = reader.header
    taken = [voucher for voucher in booked if which(voucher)]
    negated = [replace(v, rows=[replace(r, amount=-r.amount) for r in v.rows]) for v in taken]
    header.balances = _restated(header.balances, negated)
    partial = export.with_name(export.name + ".unbooking")
    write_sie(partial, header, [v for v in booked if not which(v)], kind="4E")
    os.replace(partial, export)
    return taken


def _restated(balances: list[Balance], vouchers: list[Voucher]) -> list[Balance]:
    """The year's closing balances (#UB 0) and results (#RES 0) with the vouchers booked."""
    moved: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for voucher in vouchers:
        for row in voucher.rows:
            if row.kind == "TRANS":
                kind = "UB" if is_balance_account(row.account) else "RES"
                moved[(kind, row.account)] += row.amount
    restated = []
    for balance in balances:
        key = (balance.kind, balance.account)
        if balance.year == 0 and not balance.objects and key in moved:
            balance = replace(balance, amount=balance.amount + moved.pop(key))
        restated.append(balance)
    restated += [Balance(kind, 0, account, amount) for (kind, account), amount in moved.items()]
    return restated
