"""Where the demo company's systems hand over their data: an ERP export and the books as SIE.

Both writers stream: records and vouchers go to disk as the simulation produces them, so the
generator's memory stays flat at any ``--scale``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO

from ledgerbridge.formats.sie import (
    DIM_COST_CENTRE,
    DIM_PROJECT,
    Balance,
    FiscalYear,
    SieHeader,
    Voucher,
    VoucherRow,
    encode,
    format_header,
    format_voucher,
)
from sandbox.demo_company import chart
from sandbox.demo_company.chart import is_balance_account

ERP_EXPORT_FORMAT = "ledgerbridge-erp-export/1"

#: Every entity of the ERP export, in the order the manifest lists them.
ERP_ENTITIES = (
    "cost_centres",
    "projects",
    "warehouses",
    "articles",
    "customers",
    "suppliers",
    "sales_orders",
    "deliveries",
    "customer_invoices",
    "customer_payments",
    "purchase_orders",
    "goods_receipts",
    "supplier_invoices",
    "supplier_payments",
    "stock_moves",
    "budget",
)


def money(value: Decimal) -> str:
    return f"{value:.2f}"


class JsonLinesExport:
    """A folder of ``<entity>.jsonl`` files plus ``manifest.json`` with counts and checksums."""

    def __init__(self, folder: Path, entities: tuple[str, ...]) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, IO[bytes]] = {}
        self._hashes: dict[str, hashlib._Hash] = {}
        self._counts: dict[str, int] = {}
        for entity in entities:
            self._files[entity] = open(folder / f"{entity}.jsonl", "wb")  # noqa: SIM115
            self._hashes[entity] = hashlib.sha256()
            self._counts[entity] = 0

    def write(self, entity: str, record: dict) -> None:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        self._files[entity].write(line)
        self._hashes[entity].update(line)
        self._counts[entity] += 1

    def close(self, manifest: dict | None = None) -> dict[str, int]:
        entities = {}
        for entity, handle in self._files.items():
            handle.close()
            entities[entity] = {
                "file": f"{entity}.jsonl",
                "records": self._counts[entity],
                "sha256": self._hashes[entity].hexdigest(),
            }
        if manifest is not None:
            body = dict(manifest, entities=entities)
            (self.folder / "manifest.json").write_text(
                json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        return dict(self._counts)


@dataclass(frozen=True)
class FiscalYearSpan:
    start: date
    end: date

    @property
    def label(self) -> str:
        if self.start.year == self.end.year:
            return str(self.start.year)
        return f"{self.start.year}/{self.end.year % 100:02d}"

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class BankMovement:
    day: date
    amount: Decimal  # money in positive, as 1930 is debited
    text: str
    voucher: str
    counterparty: str | None
    reference: str | None


class SieBooks:
    """The accounting program's books: vouchers numbered per fiscal year and series, balances
    kept per account, and one SIE 4E export per fiscal year at the end."""

    def __init__(
        self,
        folder: Path,
        *,
        file_stem: str,
        header: SieHeader,
        fiscal_years: list[FiscalYearSpan],
    ) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.file_stem = file_stem
        self.header = header
        self.fiscal_years = fiscal_years
        self._spools = [
            open(folder / f".{file_stem}_{i}.vouchers.tmp", "wb")  # noqa: SIM115
            for i in range(len(fiscal_years))
        ]
        self._numbers: dict[tuple[int, str], int] = defaultdict(int)
        #: Σ #TRANS per fiscal year and account: what the books say was booked.
        self.booked: list[dict[str, Decimal]] = [defaultdict(Decimal) for _ in fiscal_years]
        self.opening: list[dict[str, Decimal]] = [{} for _ in fiscal_years]
        self._running: dict[str, Decimal] = defaultdict(Decimal)
        self.row_count = 0
        self.voucher_count = 0
        self._current_year = 0
        #: every movement of the bank account, in booking order: the bank's statements
        self.bank: list[BankMovement] = []

    def open_books(self, opening_balances: dict[str, Decimal]) -> None:
        """Set the first fiscal year's opening balances (#IB); they must sum to zero."""
        if self.voucher_count:
            raise AssertionError("open the books before booking")
        if sum(opening_balances.values(), Decimal(0)):
            raise AssertionError("opening balances do not sum to zero")
        self.opening[0] = dict(opening_balances)
        self._running = defaultdict(Decimal, opening_balances)

    def year_index(self, day: date) -> int:
        for i, span in enumerate(self.fiscal_years):
            if day in span:
                return i
        raise ValueError(f"{day} lies outside the simulated fiscal years")

    def balance(self, account: str) -> Decimal:
        """The running balance of an account, opening balance included."""
        return self._running[account]

    def book(
        self,
        series: str,
        day: date,
        text: str,
        rows: list[tuple[str, Decimal, str | None, str | None]],
        *,
        counterparty: str | None = None,
        reference: str | None = None,
    ) -> Voucher:
        """Book a voucher from (account, amount, cost centre, project) rows. A voucher that
        moves the bank account is also a bank entry: ``counterparty`` and ``reference`` (an
        OCR number) are what the bank statement shows of it."""
        merged: dict[tuple[str, str | None, str | None], Decimal] = defaultdict(Decimal)
        for account, amount, cost_centre, project in rows:
            merged[(account, cost_centre, project)] += amount
        lines = [(key, amount) for key, amount in merged.items() if amount]
        total = sum((amount for _, amount in lines), Decimal(0))
        if total:
            raise AssertionError(f"demo voucher '{text}' on {day} is off by {total}")
        year = self.year_index(day)
        if year != self._current_year:
            self._close_year(self._current_year)
            self._current_year = year
        self._numbers[(year, series)] += 1
        voucher = Voucher(
            series=series,
            number=str(self._numbers[(year, series)]),
            date=day,
            text=text,
            registered=day,
        )
        for (account, cost_centre, project), amount in lines:
            objects = []
            if cost_centre:
                objects.append((DIM_COST_CENTRE, cost_centre))
            if project:
                objects.append((DIM_PROJECT, project))
            voucher.rows.append(VoucherRow("TRANS", account, amount, tuple(objects)))
            self.booked[year][account] += amount
            self._running[account] += amount
            if account == chart.BANK:
                self.bank.append(
                    BankMovement(day, amount, text, f"{series}{voucher.number}", counterparty,
                                 reference)
                )  # fmt: skip
        self._spools[year].write(encode(format_voucher(voucher)))
        self.row_count += len(voucher.rows)
        self.voucher_count += 1
        return voucher

    def _close_year(self, year: int) -> None:
        """Carry balances into the next year; the result goes to 2099 (årets resultat), as the
        accounting program does when it opens a new year after the year-end closing."""
        result = sum(
            (v for a, v in self.booked[year].items() if not is_balance_account(a)), Decimal(0)
        )
        closing = self.closing(year)
        opening = {a: v for a, v in closing.items() if v}
        opening[chart.YEAR_RESULT] = opening.get(chart.YEAR_RESULT, Decimal(0)) + result
        self.opening[year + 1] = opening
        for account in list(self._running):
            if not is_balance_account(account):
                self._running[account] = Decimal(0)
        self._running[chart.YEAR_RESULT] += result

    def closing(self, year: int) -> dict[str, Decimal]:
        accounts = set(self.opening[year]) | {a for a in self.booked[year] if is_balance_account(a)}
        return {
            a: self.opening[year].get(a, Decimal(0)) + self.booked[year].get(a, Decimal(0))
            for a in sorted(accounts)
        }

    def finish(self, generated: date) -> list[Path]:
        """Write one SIE 4E file per fiscal year: header, balances, then the spooled vouchers."""
        for spool in self._spools:
            spool.close()
        paths = []
        for year, span in enumerate(self.fiscal_years):
            header = SieHeader(**{**self.header.__dict__})
            header.generated = generated
            header.fiscal_years = [FiscalYear(0, span.start, span.end)]
            balances: list[Balance] = []
            if year > 0:
                previous = self.fiscal_years[year - 1]
                header.fiscal_years.append(FiscalYear(-1, previous.start, previous.end))
            for rel, index in ((0, year), (-1, year - 1)):
                if index < 0:
                    continue
                balances += [
                    Balance("IB", rel, a, v) for a, v in sorted(self.opening[index].items()) if v
                ]
                balances += [Balance("UB", rel, a, v) for a, v in self.closing(index).items() if v]
                balances += [
                    Balance("RES", rel, a, v)
                    for a, v in sorted(self.booked[index].items())
                    if v and not is_balance_account(a)
                ]
            header.balances = balances
            spool = self.folder / f".{self.file_stem}_{year}.vouchers.tmp"
            target = self.folder / f"{self.file_stem}_{span.label.replace('/', '-')}.se"
            tmp = target.with_suffix(".se.tmp")
            with open(tmp, "wb") as out:
                out.write(encode(format_header(header)))
                with open(spool, "rb") as body:
                    while chunk := body.read(1 << 20):
                        out.write(chunk)
            os.replace(tmp, target)
            spool.unlink()
            paths.append(target)
        return paths
