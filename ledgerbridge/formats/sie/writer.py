"""Writing SIE 4 files that every Swedish accounting program reads: 4E exports and 4I imports.

Files are CP437 with CRLF line ends, as the specification says. Characters CP437 lacks are
replaced (``€`` by ``EUR``, typographic quotes and dashes by plain ones, anything else by
``?``) and the replacements are reported, so nobody learns of a mangled name from the receiver.
An optional #KSUMMA checksum is computed as the reader verifies it. The file is written to a
temporary name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO

from ledgerbridge.formats.sie.lexer import checksum_update
from ledgerbridge.formats.sie.model import SieHeader, Voucher

ENCODING = "cp437"

#: Characters CP437 lacks and what stands in for them.
SUBSTITUTES = {
    "€": "EUR",
    "–": "-",
    "—": "-",
    "‘": "'",
    "’": "'",
    "‚": ",",
    "“": '"',
    "”": '"',
    "„": '"',
    "…": "...",
    "\u00a0": " ",
    "\t": " ",
    "\r": " ",
    "\n": " ",
}


class Text(str):
    """A field written in quotes (names, descriptions, object ids)."""


Field = str | Text | Decimal | date | int | tuple | None


@dataclass
class WriteReport:
    path: Path
    kind: str
    vouchers: int = 0
    rows: int = 0
    checksum: int | None = None
    #: character → (its replacement, how many times)
    replaced: dict[str, tuple[str, int]] = field(default_factory=dict)

    def describe_replacements(self) -> list[str]:
        return [
            f"{char!r} (U+{ord(char):04X}) written as {sub!r}, {n} time{'s' if n > 1 else ''}"
            for char, (sub, n) in sorted(self.replaced.items())
        ]


def cp437_text(text: str, counts: Counter | None = None) -> str:
    """``text`` with every character CP437 lacks replaced (and counted in ``counts``)."""
    try:
        text.encode(ENCODING)
        if "\t" not in text and "\n" not in text and "\r" not in text:
            return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        sub = SUBSTITUTES.get(char)
        if sub is None:
            try:
                char.encode(ENCODING)
                sub = char
            except UnicodeEncodeError:
                sub = "?"
        if sub != char and counts is not None:
            counts[char] += 1
        out.append(sub)
    return "".join(out)


def _quoted_content(value: str, counts: Counter | None) -> str:
    text = cp437_text(value, counts)
    if '\\"' in text:
        # SIE knows only \" as an escape: a backslash before a quote cannot be written
        if counts is not None:
            counts["\\"] += text.count('\\"')
        text = text.replace('\\"', '/"')
    if text.endswith("\\"):
        # a trailing backslash would escape the closing quote
        text = text[:-1] + "/"
        if counts is not None:
            counts["\\"] += 1
    return text


def _field(value: Field, counts: Counter | None) -> str:
    if value is None:
        return '""'
    if isinstance(value, Text):
        return '"' + _quoted_content(value, counts).replace('"', '\\"') + '"'
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return f"{value:.2f}" if isinstance(exponent, int) and exponent >= -2 else str(value)
    if isinstance(value, date):
        return f"{value:%Y%m%d}"
    if isinstance(value, tuple):
        return "{" + " ".join(f"{d} {_field(Text(o), counts)}" for d, o in value) + "}"
    return str(value)


def _contents(value: Field, counts: Counter | None) -> list[str]:
    """A field's content as the checksum sees it: no quotes, no braces, no blanks between."""
    if value is None:
        return []
    if isinstance(value, Text):
        return [_quoted_content(value, counts)]
    if isinstance(value, tuple):
        return [part for d, o in value for part in (d, _quoted_content(o, counts))]
    return [_field(value, None)]


def render(label: str, fields: Iterable[Field], counts: Counter | None = None) -> str:
    items = list(fields)
    while items and items[-1] is None:
        items.pop()
    return " ".join([label, *(_field(v, counts) for v in items)])


def header_records(header: SieHeader, kind: str = "4E") -> Iterator[tuple[str, list[Field]]]:
    """The records before the vouchers. A 4I file carries identification only (plus the chart
    and dimensions when given); a 4E file carries the books' years, chart and balances."""
    h = header
    yield "#PROGRAM", [Text(h.program or "ledgerbridge"), Text(h.program_version or "")]
    yield "#FORMAT", ["PC8"]
    yield "#GEN", [h.generated or date.today(), Text(h.generated_by) if h.generated_by else None]
    yield "#SIETYP", [h.sie_type if h.sie_type in ("1", "2", "3") else "4"]
    if h.prosa:
        yield "#PROSA", [Text(h.prosa)]
    if h.company_type:
        yield "#FTYP", [h.company_type]
    if h.company_number:
        yield "#FNR", [Text(h.company_number)]
    if h.orgnr:
        yield "#ORGNR", [h.orgnr, h.orgnr_sequence]
    if h.industry_code:
        yield "#BKOD", [h.industry_code]
    if h.address:
        yield "#ADRESS", [Text(part) for part in h.address]
    yield "#FNAMN", [Text(h.company_name or "")]
    if kind != "4I":
        for year in sorted(h.fiscal_years, key=lambda y: -y.index):
            yield "#RAR", [str(year.index), year.start, year.end]
        if h.tax_year:
            yield "#TAXAR", [str(h.tax_year)]
        if h.balances_as_of:
            yield "#OMFATTN", [h.balances_as_of]
        if h.chart_type:
            yield "#KPTYP", [h.chart_type]
    yield "#VALUTA", [h.currency]
    for number, account in h.accounts.items():
        yield "#KONTO", [number, Text(account.name)]
        if account.account_type:
            yield "#KTYP", [number, account.account_type]
        if account.unit:
            yield "#ENHET", [number, Text(account.unit)]
        if account.sru:
            yield "#SRU", [number, account.sru]
    for number, dimension in h.dimensions.items():
        if dimension.parent:
            yield "#UNDERDIM", [number, Text(dimension.name), dimension.parent]
        else:
            yield "#DIM", [number, Text(dimension.name)]
    for (dimension, object_id), name in h.objects.items():
        yield "#OBJEKT", [dimension, Text(object_id), Text(name)]
    if kind == "4I":
        return
    for b in h.balances:
        if b.kind in ("OIB", "OUB"):
            yield f"#{b.kind}", [str(b.year), b.account, b.objects, b.amount, b.quantity]
        else:
            yield f"#{b.kind}", [str(b.year), b.account, b.amount, b.quantity]
    for p in h.period_balances:
        yield f"#{p.kind}", [str(p.year), p.period, p.account, p.objects, p.amount, p.quantity]


def voucher_records(voucher: Voucher) -> Iterator[tuple[str, list[Field]]]:
    v = voucher
    yield (
        "#VER",
        [
            Text(v.series),
            Text(v.number),
            v.date,
            Text(v.text),
            v.registered,
            Text(v.signature) if v.signature else None,
        ],
    )
    yield "{", []
    for row in v.rows:
        yield (
            f"#{row.kind}",
            [
                row.account,
                row.objects,
                row.amount,
                row.date,
                Text(row.text) if row.text else None,
                row.quantity,
                Text(row.signature) if row.signature else None,
            ],
        )
    yield "}", []


def format_header(header: SieHeader, kind: str = "4E") -> str:
    """The header as text, #FLAGGA first (for writers that assemble a file themselves)."""
    lines = ["#FLAGGA 0", *(render(label, f) for label, f in header_records(header, kind))]
    return "\r\n".join(lines) + "\r\n"


def format_voucher(voucher: Voucher) -> str:
    lines = [label if label in "{}" else render(label, f) for label, f in voucher_records(voucher)]
    return "\r\n".join(lines) + "\r\n"


def encode(text: str) -> bytes:
    """Whole lines of SIE text as CP437 bytes; the line breaks stay."""
    return "\r\n".join(cp437_text(line) for line in text.split("\r\n")).encode(ENCODING)


class SieWriter:
    """Streams a SIE 4 file: ``write_header`` once, then ``write_voucher`` for each voucher."""

    def __init__(self, path: Path | str, *, kind: str = "4E", checksum: bool = False) -> None:
        if kind not in ("4E", "4I"):
            raise ValueError(f"kind must be '4E' or '4I', not {kind!r}")
        self.path = Path(path)
        self.kind = kind
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self._out: IO[bytes] = open(self._tmp, "wb")  # noqa: SIM115 - closed in close()
        self._counts: Counter = Counter()
        self._checksum = 0 if checksum else None
        self.report = WriteReport(self.path, kind)
        self._header_written = False

    def __enter__(self) -> SieWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _line(self, label: str, fields: list[Field]) -> None:
        if label in ("{", "}"):
            self._out.write(label.encode() + b"\r\n")
            return
        text = render(label, fields, self._counts)
        self._out.write(text.encode(ENCODING, errors="replace") + b"\r\n")
        if self._checksum is not None:
            parts = [part for value in fields for part in _contents(value, None)]
            self._checksum = checksum_update(self._checksum, label, parts, ENCODING)

    def write_header(self, header: SieHeader) -> None:
        self._out.write(b"#FLAGGA 0\r\n")
        if self._checksum is not None:
            self._out.write(b"#KSUMMA\r\n")
        for label, fields in header_records(header, self.kind):
            self._line(label, fields)
        self._header_written = True

    def write_voucher(self, voucher: Voucher) -> None:
        if not self._header_written:
            raise RuntimeError("write_header first")
        for label, fields in voucher_records(voucher):
            self._line(label, fields)
        self.report.vouchers += 1
        self.report.rows += len(voucher.rows)

    def close(self) -> WriteReport:
        if self._out.closed:
            return self.report
        if self._checksum is not None:
            self._out.write(f"#KSUMMA {self._checksum}\r\n".encode())
            self.report.checksum = self._checksum
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        os.replace(self._tmp, self.path)
        self.report.replaced = {
            char: (SUBSTITUTES.get(char, "/" if char == "\\" else "?"), n)
            for char, n in self._counts.items()
        }
        return self.report

    def abort(self) -> None:
        if not self._out.closed:
            self._out.close()
        self._tmp.unlink(missing_ok=True)


def write_sie(
    path: Path | str,
    header: SieHeader,
    vouchers: Iterable[Voucher],
    *,
    kind: str = "4E",
    checksum: bool = False,
) -> WriteReport:
    with SieWriter(path, kind=kind, checksum=checksum) as writer:
        writer.write_header(header)
        for voucher in vouchers:
            writer.write_voucher(voucher)
    return writer.report
