"""SIE 4 files: a streaming reader for 4E exports and a writer.

SIE is how Swedish accounting programs exchange books. A file is a sequence of records, one per
line: a ``#LABEL`` followed by fields separated by blanks or tabs; texts may be quoted (with ``\\"``
for a quote inside), object lists are braced (``{1 "Nord" 6 0001}``), and each ``#VER`` (voucher)
is followed by a ``{ … }`` block of ``#TRANS`` rows. Amounts are signed, debit positive.

This module reads what the books need — identification, fiscal years, accounts, dimensions and
objects, balances, vouchers — and stops with a diagnostic that names file, line and what was
expected when a file is damaged. The full codec (every label, lenient mode, #KSUMMA, 4I) is
issue 3; it extends this module rather than replacing its API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO

from ledgerbridge.errors import InvalidInputError

#: Dimension numbers the SIE spec reserves: 1 = resultatenhet (cost centre), 6 = projekt.
DIM_COST_CENTRE = "1"
DIM_PROJECT = "6"

ROW_KINDS = ("TRANS", "RTRANS", "BTRANS")
BALANCE_KINDS = ("IB", "UB", "RES", "OIB", "OUB")
_CP437_SWEDISH = frozenset(b"\x86\x84\x94\x8f\x8e\x99\x81\x82\x9a\x90")
_LATIN_SWEDISH = frozenset(b"\xe5\xe4\xf6\xc5\xc4\xd6\xfc\xe9\xdc\xc9")
_AMOUNT = re.compile(r"^-?\d+(?:\.\d+)?$")
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|([^\s"{}]+)|(\{)|(\})')
_BLANK = re.compile(r"[ \t]*")
_LABEL = re.compile(r"^#[A-Z0-9_]+$")


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: str  # "error" | "warning"
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{self.code} {where} {self.message}"


class SieError(InvalidInputError):
    """A SIE file that cannot be loaded as it is."""

    code = "sie-invalid"

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(
            str(diagnostic),
            hint="fix or re-export the file from the accounting program; nothing of it was loaded",
        )
        self.diagnostic = diagnostic


@dataclass(frozen=True)
class FiscalYear:
    index: int  # 0 = the file's current year, -1 = the one before, …
    start: date
    end: date


@dataclass(frozen=True)
class Balance:
    kind: str  # IB | UB | RES | OIB | OUB
    year: int  # relative year index, as in #RAR
    account: str
    amount: Decimal
    objects: tuple[tuple[str, str], ...] = ()
    quantity: Decimal | None = None


@dataclass(frozen=True)
class VoucherRow:
    kind: str  # TRANS | RTRANS | BTRANS
    account: str
    amount: Decimal
    objects: tuple[tuple[str, str], ...] = ()
    date: date | None = None
    text: str | None = None
    quantity: Decimal | None = None
    line: int = 0

    def object_id(self, dimension: str) -> str | None:
        for dim, object_id in self.objects:
            if dim == dimension:
                return object_id
        return None


@dataclass
class Voucher:
    series: str
    number: str
    date: date
    text: str
    registered: date | None = None
    rows: list[VoucherRow] = field(default_factory=list)
    line: int = 0

    def imbalance(self) -> Decimal:
        return sum((r.amount for r in self.rows if r.kind == "TRANS"), Decimal("0.00"))

    def describe(self) -> str:
        ref = f"{self.series} {self.number}".strip() or "(unnumbered)"
        return f"voucher {ref} on {self.date.isoformat()}"


@dataclass
class SieHeader:
    """Everything before the first voucher."""

    program: str | None = None
    program_version: str | None = None
    format: str | None = None
    sie_type: str | None = None
    generated: date | None = None
    company_name: str | None = None
    orgnr: str | None = None
    currency: str = "SEK"
    fiscal_years: list[FiscalYear] = field(default_factory=list)
    accounts: dict[str, str] = field(default_factory=dict)
    dimensions: dict[str, str] = field(default_factory=dict)
    objects: list[tuple[str, str, str]] = field(default_factory=list)
    balances: list[Balance] = field(default_factory=list)
    #: Labels this reader does not keep (#KTYP, #SRU, non-standard ones…) and how often they occur.
    skipped_labels: dict[str, int] = field(default_factory=dict)

    def fiscal_year(self, index: int) -> FiscalYear | None:
        for year in self.fiscal_years:
            if year.index == index:
                return year
        return None


def detect_encoding(sample: bytes) -> str:
    """Guess the encoding from the bytes: SIE says CP437, real files are often UTF-8 or Latin-9."""
    if all(b < 0x80 for b in sample):
        return "cp437"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if exc.start >= len(sample) - 3 and exc.reason.startswith("unexpected end"):
            return "utf-8"
    cp437 = sum(1 for b in sample if b in _CP437_SWEDISH)
    latin = sum(1 for b in sample if b in _LATIN_SWEDISH)
    return "iso-8859-15" if latin > cp437 else "cp437"


class SieReader:
    """Reads one SIE file in a single streaming pass.

    ``header`` is available right after construction; ``vouchers()`` then streams the vouchers,
    so memory stays flat however many there are. Errors raise :class:`SieError`.
    """

    _SAMPLE = 1 << 20

    def __init__(self, path: Path | str, *, display_name: str | None = None) -> None:
        self.path = Path(path)
        self.name = display_name or str(path)
        self._line_no, self._line_cut_off = 0, False
        try:
            self._handle: BinaryIO = open(self.path, "rb")  # noqa: SIM115 - closed in close()
        except FileNotFoundError:
            raise InvalidInputError(f"{self.name}: no such file") from None
        except IsADirectoryError:
            raise InvalidInputError(f"{self.name}: is a folder, expected a SIE file") from None
        sample = self._handle.read(self._SAMPLE)
        self._handle.seek(0)
        if b"\xef\xbf\xbd" in sample:
            self._fail(
                "lossy-encoding",
                self._line_of(sample, b"\xef\xbf\xbd"),
                "the file contains U+FFFD replacement characters: it was damaged by a lossy "
                "re-encoding and letters are lost; export it again from the accounting program",
            )
        self.encoding = detect_encoding(sample)
        self._records = self._iter_records()
        self._pending: tuple[int, str, list] | None = None
        self.header = SieHeader()
        self._read_header()

    # -- context manager -------------------------------------------------------------------
    def __enter__(self) -> SieReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._handle.close()

    # -- diagnostics -----------------------------------------------------------------------
    def _fail(self, code: str, line: int | None, message: str) -> None:
        if line is not None and line == self._line_no and self._line_cut_off:
            message += "; this last line ends without a line break: the file is truncated"
        raise SieError(Diagnostic(code, "error", self.name, line, message))

    @staticmethod
    def _line_of(sample: bytes, needle: bytes) -> int:
        return sample[: sample.find(needle)].count(b"\n") + 1

    # -- records ---------------------------------------------------------------------------
    def _iter_records(self) -> Iterator[tuple[int, str, list]]:
        """(line number, label or '{' / '}', fields); object lists become lists of strings."""
        for line_no, raw in enumerate(self._handle, start=1):
            self._line_no, self._line_cut_off = line_no, not raw.endswith(b"\n")
            text = raw.decode(
                self.encoding, errors="strict" if self.encoding == "utf-8" else "replace"
            )
            text = text.strip()
            if not text:
                continue
            if text in ("{", "}"):
                yield line_no, text, []
                continue
            if not text.startswith("#"):
                self._fail(
                    "unexpected-text",
                    line_no,
                    f"expected a #LABEL, a '{{' or a '}}' at the start of the line, found "
                    f"{text[:30]!r}",
                )
            fields = self._tokenize(text, line_no)
            label = fields[0].upper() if isinstance(fields[0], str) else ""
            if not _LABEL.match(label):
                self._fail(
                    "bad-label",
                    line_no,
                    f"{fields[0]!r} is not a label (expected # followed by letters, like #TRANS); "
                    "if this is the last line, the file is truncated",
                )
            yield line_no, label, fields[1:]

    def _tokenize(self, text: str, line_no: int) -> list:
        out: list = []
        stack: list[list] = []
        pos = 0
        while True:
            pos = _BLANK.match(text, pos).end()
            if pos >= len(text):
                break
            match = _TOKEN.match(text, pos)
            if match is None:
                self._fail(
                    "unterminated-text",
                    line_no,
                    f'a quoted text is not closed (no ending " after column {pos + 1})',
                )
            quoted, bare, open_brace, close_brace = match.groups()
            target = stack[-1] if stack else out
            if open_brace:
                stack.append([])
            elif close_brace:
                if not stack:
                    self._fail("unexpected-brace", line_no, "a '}' closes no object list")
                closed = stack.pop()
                (stack[-1] if stack else out).append(closed)
            elif quoted is not None:
                target.append(quoted.replace('\\"', '"'))
            else:
                target.append(bare)
            pos = match.end()
        if stack:
            self._fail(
                "unterminated-objects", line_no, "an object list '{' is not closed on its line"
            )
        return out

    def _next(self) -> tuple[int, str, list] | None:
        if self._pending is not None:
            record, self._pending = self._pending, None
            return record
        return next(self._records, None)

    # -- field helpers ---------------------------------------------------------------------
    def _text(self, fields: list, i: int) -> str | None:
        if i >= len(fields) or isinstance(fields[i], list):
            return None
        return fields[i]

    def _require(self, fields: list, i: int, line: int, label: str, what: str) -> str:
        value = self._text(fields, i)
        if value is None or value == "":
            self._fail("missing-field", line, f"{label} lacks its {what}")
        return value

    def _amount(self, value: str, line: int, what: str) -> Decimal:
        if not _AMOUNT.match(value):
            self._fail(
                "bad-amount",
                line,
                f"{what} is {value!r}; expected an amount like -1234.50 (point as decimal mark)",
            )
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the regex already guards this
            self._fail("bad-amount", line, f"{what} is {value!r}")
            raise

    def _date(
        self, value: str | None, line: int, what: str, *, optional: bool = False
    ) -> date | None:
        if value in (None, "") and optional:
            return None
        if value is None or not re.fullmatch(r"\d{8}", value):
            self._fail("bad-date", line, f"{what} is {value!r}; expected a date as YYYYMMDD")
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            self._fail("bad-date", line, f"{what} {value} is not a calendar date")
            raise

    def _objects(self, value: object, line: int) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, list):
            self._fail("bad-objects", line, f"expected an object list in braces, found {value!r}")
        if len(value) % 2:
            self._fail(
                "bad-objects",
                line,
                "an object list must hold pairs of dimension and object id, "
                f"found {len(value)} items",
            )
        return tuple((str(value[i]).strip(), str(value[i + 1])) for i in range(0, len(value), 2))

    # -- header ----------------------------------------------------------------------------
    def _read_header(self) -> None:
        h = self.header
        while (record := self._next()) is not None:
            line, label, f = record
            if label == "#VER":
                self._pending = record
                break
            if label in ("{", "}") or label in ("#TRANS", "#RTRANS", "#BTRANS"):
                self._fail(
                    "row-outside-voucher", line, f"{label} appears outside a #VER voucher block"
                )
            elif label == "#PROGRAM":
                h.program, h.program_version = self._text(f, 0), self._text(f, 1)
            elif label == "#FORMAT":
                h.format = self._text(f, 0)
            elif label == "#SIETYP":
                h.sie_type = self._text(f, 0)
            elif label == "#GEN":
                h.generated = self._date(self._text(f, 0), line, "#GEN date")
            elif label == "#FNAMN":
                h.company_name = " ".join(x for x in f if isinstance(x, str))
            elif label == "#ORGNR":
                h.orgnr = self._text(f, 0)
            elif label == "#VALUTA":
                h.currency = self._text(f, 0) or "SEK"
            elif label == "#RAR":
                index = self._require(f, 0, line, "#RAR", "year number")
                if not re.fullmatch(r"-?\d+", index):
                    self._fail(
                        "bad-year", line, f"#RAR year number is {index!r}; expected 0, -1, …"
                    )
                start = self._date(self._text(f, 1), line, "#RAR start date")
                end = self._date(self._text(f, 2), line, "#RAR end date")
                if end < start:
                    self._fail("bad-year", line, f"fiscal year {index} ends before it starts")
                h.fiscal_years.append(FiscalYear(int(index), start, end))
            elif label == "#KONTO":
                account = self._require(f, 0, line, "#KONTO", "account number")
                h.accounts[account] = self._text(f, 1) or ""
            elif label == "#DIM":
                h.dimensions[self._require(f, 0, line, "#DIM", "dimension number")] = (
                    self._text(f, 1) or ""
                )
            elif label == "#OBJEKT":
                h.objects.append(
                    (
                        self._require(f, 0, line, "#OBJEKT", "dimension number").strip(),
                        self._require(f, 1, line, "#OBJEKT", "object id"),
                        self._text(f, 2) or "",
                    )
                )
            elif label in ("#IB", "#UB", "#RES"):
                year = self._require(f, 0, line, label, "year number")
                account = self._require(f, 1, line, label, "account number")
                amount = self._amount(
                    self._require(f, 2, line, label, "amount"), line, f"{label} amount"
                )
                h.balances.append(Balance(label[1:], int(year), account, amount))
            elif label in ("#OIB", "#OUB"):
                year = self._require(f, 0, line, label, "year number")
                account = self._require(f, 1, line, label, "account number")
                objects = self._objects(f[2] if len(f) > 2 else None, line)
                amount = self._amount(
                    self._require(f, 3, line, label, "amount"), line, f"{label} amount"
                )
                h.balances.append(Balance(label[1:], int(year), account, amount, objects))
            else:
                h.skipped_labels[label] = h.skipped_labels.get(label, 0) + 1

    # -- vouchers --------------------------------------------------------------------------
    def vouchers(self) -> Iterator[Voucher]:
        """Stream the vouchers; at the end, prove the file complete against its balances."""
        booked: dict[str, Decimal] = {}
        for voucher in self._vouchers():
            for row in voucher.rows:
                if row.kind == "TRANS":
                    booked[row.account] = booked.get(row.account, Decimal(0)) + row.amount
            yield voucher
        self._check_complete(booked)

    def _check_complete(self, booked: dict[str, Decimal]) -> None:
        """A 4E export states its closing balances: IB + Σ#TRANS must give UB for balance
        accounts and RES for result accounts. Without #KSUMMA this is the only way to see that
        a file cut between two vouchers is incomplete."""
        opening: dict[str, Decimal] = {}
        stated: dict[str, Decimal] = {}
        for b in self.header.balances:
            if b.year == 0 and b.kind == "IB":
                opening[b.account] = b.amount
            elif b.year == 0 and b.kind in ("UB", "RES"):
                stated[b.account] = b.amount
        if not stated or not booked:
            return
        wrong = []
        for account in sorted(set(stated) | set(booked)):
            # exporters leave out zero balances, so an account without #UB/#RES closes at zero
            start = opening.get(account, Decimal(0)) if account[0] in "12" else Decimal(0)
            moved = booked.get(account, Decimal(0))
            if start + moved != stated.get(account, Decimal(0)):
                wrong.append((account, start, moved, stated.get(account, Decimal(0))))
        if wrong:
            account, start, moved, stated_amount = wrong[0]
            more = f" (and {len(wrong) - 1} more accounts)" if len(wrong) > 1 else ""
            self._fail(
                "balances-disagree",
                None,
                f"the vouchers do not add up to the balances the file states: account {account} "
                f"opens at {start} and its vouchers move {moved}, which gives {start + moved}, "
                f"but the file says {stated_amount}{more}. The file is incomplete (most likely "
                "truncated) or was edited after the export",
            )

    def _vouchers(self) -> Iterator[Voucher]:
        while (record := self._next()) is not None:
            line, label, f = record
            if label != "#VER":
                if label in ("{", "}", "#TRANS", "#RTRANS", "#BTRANS"):
                    self._fail(
                        "row-outside-voucher", line, f"{label} appears outside a #VER voucher block"
                    )
                continue  # labels after the vouchers carry nothing the books need
            voucher = Voucher(
                series=self._text(f, 0) or "",
                number=self._text(f, 1) or "",
                date=self._date(self._text(f, 2), line, "#VER date"),
                text=self._text(f, 3) or "",
                registered=self._date(
                    self._text(f, 4), line, "#VER registration date", optional=True
                ),
                line=line,
            )
            opening = self._next()
            if opening is None:
                self._fail(
                    "truncated",
                    line,
                    f"the file ends right after the #VER line of {voucher.describe()}: "
                    "the file is truncated",
                )
            if opening[1] != "{":
                self._fail(
                    "missing-block",
                    opening[0],
                    f"expected '{{' to open the rows of {voucher.describe()} (line {line})",
                )
            while True:
                row = self._next()
                if row is None:
                    self._fail(
                        "truncated",
                        line,
                        f"{voucher.describe()} is not closed with '}}' before the end of the "
                        "file: the file is truncated",
                    )
                row_line, row_label, rf = row
                if row_label == "}":
                    break
                if row_label in ("#TRANS", "#RTRANS", "#BTRANS"):
                    voucher.rows.append(self._row(row_label[1:], rf, row_line))
                elif row_label in ("#VER", "{"):
                    self._fail(
                        "unclosed-voucher",
                        row_line,
                        f"{voucher.describe()} (line {line}) is not closed with '}}' before "
                        f"the next {row_label}",
                    )
            off = voucher.imbalance()
            if off:
                self._fail(
                    "unbalanced-voucher",
                    line,
                    f"{voucher.describe()} does not balance: off by {off}",
                )
            yield voucher

    def _row(self, kind: str, f: list, line: int) -> VoucherRow:
        account = self._require(f, 0, line, f"#{kind}", "account number")
        if len(f) < 3:
            self._fail("missing-field", line, f"#{kind} needs account, object list and amount")
        objects = self._objects(f[1], line)
        amount = self._amount(self._text(f, 2) or "", line, f"#{kind} amount")
        quantity = self._text(f, 5)
        return VoucherRow(
            kind=kind,
            account=account,
            amount=amount,
            objects=objects,
            date=self._date(self._text(f, 3), line, f"#{kind} date", optional=True),
            text=self._text(f, 4) or None,
            quantity=self._amount(quantity, line, f"#{kind} quantity") if quantity else None,
            line=line,
        )


# -- writing ---------------------------------------------------------------------------------
def _quote(value: str) -> str:
    # Only the quote is escaped: real files keep backslashes literal ("C:\\Program\\…").
    return '"' + value.replace('"', '\\"') + '"'


def _objects_text(objects: Iterable[tuple[str, str]]) -> str:
    return "{" + " ".join(f"{dim} {_quote(obj)}" for dim, obj in objects) + "}"


def _amount_text(value: Decimal) -> str:
    return f"{value:.2f}"


def format_header(header: SieHeader, *, sie_type: str = "4") -> str:
    """The records before the vouchers, as text (encode with :data:`WRITE_ENCODING`)."""
    h = header
    out = ["#FLAGGA 0"]
    out.append(f"#PROGRAM {_quote(h.program or 'ledgerbridge')} {_quote(h.program_version or '')}")
    out.append("#FORMAT PC8")
    if h.generated:
        out.append(f"#GEN {h.generated:%Y%m%d}")
    out.append(f"#SIETYP {sie_type}")
    out.append(f"#FNAMN {_quote(h.company_name or '')}")
    if h.orgnr:
        out.append(f"#ORGNR {h.orgnr}")
    for year in sorted(h.fiscal_years, key=lambda y: -y.index):
        out.append(f"#RAR {year.index} {year.start:%Y%m%d} {year.end:%Y%m%d}")
    out.append(f"#VALUTA {h.currency}")
    out.append("#KPTYP BAS2014")
    for account, name in h.accounts.items():
        out.append(f"#KONTO {account} {_quote(name)}")
    for dim, name in h.dimensions.items():
        out.append(f"#DIM {dim} {_quote(name)}")
    for dim, object_id, name in h.objects:
        out.append(f"#OBJEKT {dim} {_quote(object_id)} {_quote(name)}")
    for b in h.balances:
        if b.kind in ("OIB", "OUB"):
            objects = _objects_text(b.objects)
            out.append(f"#{b.kind} {b.year} {b.account} {objects} {_amount_text(b.amount)}")
        else:
            out.append(f"#{b.kind} {b.year} {b.account} {_amount_text(b.amount)}")
    return "\r\n".join(out) + "\r\n"


def format_voucher(voucher: Voucher) -> str:
    reg = f" {voucher.registered:%Y%m%d}" if voucher.registered else ""
    out = [
        f"#VER {_quote(voucher.series)} {_quote(voucher.number)} {voucher.date:%Y%m%d} "
        f"{_quote(voucher.text)}{reg}",
        "{",
    ]
    for row in voucher.rows:
        tail = ""
        if row.date or row.text or row.quantity is not None:
            tail = f" {row.date:%Y%m%d}" if row.date else ' ""'
            tail += f" {_quote(row.text or '')}"
            if row.quantity is not None:
                tail += f" {row.quantity}"
        objects = _objects_text(row.objects)
        out.append(f"   #{row.kind} {row.account} {objects} {_amount_text(row.amount)}{tail}")
    out.append("}")
    return "\r\n".join(out) + "\r\n"


#: SIE 4 files are written in the IBM PC code page 437, as the spec requires.
WRITE_ENCODING = "cp437"


def encode(text: str) -> bytes:
    return text.encode(WRITE_ENCODING, errors="replace")
