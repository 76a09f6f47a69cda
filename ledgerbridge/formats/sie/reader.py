"""Reading SIE files (types 1, 2, 3, 4E and 4I) in one streaming pass.

``SieReader(path)`` reads everything before the first voucher into ``header``; ``vouchers()``
then streams the vouchers, so memory stays flat however many there are, and finishes with the
checks that need the whole file (#KSUMMA, the balances the file states, labels it lacks).

Every problem becomes a :class:`Diagnostic` with a stable code (see ``diagnostics.CODES``), its
file and line, and a message in a bookkeeper's words. With ``on_error="raise"`` (loading) the
first error raises :class:`SieError`; with ``on_error="collect"`` (validating) reading goes on
and ``diagnostics`` lists everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerbridge.errors import InvalidInputError
from ledgerbridge.formats.sie.columnar import (
    VoucherBatch,
    batch_from_vouchers,
    parse_blocks,
)
from ledgerbridge.formats.sie.diagnostics import CODES, ERROR, Diagnostic, SieError
from ledgerbridge.formats.sie.lexer import (
    DECLARED,
    LexError,
    checksum_update,
    detect_encoding,
    tokenize,
    tokenize_row,
)
from ledgerbridge.formats.sie.model import (
    Account,
    Balance,
    Dimension,
    FiscalYear,
    Objects,
    PeriodBalance,
    SieHeader,
    Voucher,
    VoucherRow,
)
from ledgerbridge.formats.sie.voucher_keys import VoucherKeys

_AMOUNT = re.compile(r"^-?\d{1,16}(?:\.\d{1,2})?$")  # öre at most, as decimal(18,2) holds
_QUANTITY = re.compile(r"^-?\d{1,14}(?:\.\d{1,4})?$")
_LABEL = re.compile(r"^#[A-Z0-9_]+$")
_DATE = re.compile(r"^\d{8}$")
_YEAR = re.compile(r"^-?\d+$")
_PERIOD = re.compile(r"^\d{4}(0[1-9]|1[0-2])$")
_ROW_LABELS = {"#TRANS": "TRANS", "#RTRANS": "RTRANS", "#BTRANS": "BTRANS"}
_ROW_PREFIXES = tuple(_ROW_LABELS)
#: Stands in for a line that could not be read (already reported), so that the voucher it was
#: part of is known to be incomplete.
_LOST = "#!"
_HEADER_LABELS = frozenset(
    [
        "#FLAGGA",
        "#PROGRAM",
        "#FORMAT",
        "#GEN",
        "#SIETYP",
        "#PROSA",
        "#FTYP",
        "#FNR",
        "#ORGNR",
        "#BKOD",
        "#ADRESS",
        "#FNAMN",
        "#RAR",
        "#TAXAR",
        "#OMFATTN",
        "#KPTYP",
        "#VALUTA",
        "#KONTO",
        "#KTYP",
        "#ENHET",
        "#SRU",
        "#DIM",
        "#UNDERDIM",
        "#OBJEKT",
        "#IB",
        "#UB",
        "#OIB",
        "#OUB",
        "#RES",
        "#PSALDO",
        "#PBUDGET",
        "#KSUMMA",
    ]
)
_SAMPLE = 1 << 20
_CHUNK = 4 << 20
_OBJECT_BATCH = 20_000  # vouchers per Arrow batch when read as objects
_LOSSY = "\ufffd".encode()  # U+FFFD in UTF-8: a letter lost to a lossy re-encoding
#: A voucher block: #VER line, "{", rows that start with #TRANS/#RTRANS/#BTRANS, "}".
_BLOCK = re.compile(
    r"^[ \t]*#VER[ \t]+([^\r\n]*?)[ \t]*\r?\n[ \t]*\{[ \t]*\r?\n"
    r"((?:[ \t]*#[RB]?TRANS[ \t][^\r\n]*\r?\n)*)[ \t]*\}[ \t]*\r?$",
    re.MULTILINE,
)
#: A row of the usual shape and nothing else on its line.
_FAST_ROW = re.compile(
    r"^[ \t]*#(TRANS|RTRANS|BTRANS)[ \t]+([^\s\"{}#]+)[ \t]+"
    r'\{([^{}"\\\r\n]*(?:"[^"\\\r\n]*"[^{}"\\\r\n]*)*)\}[ \t]+'
    r"(-?\d{1,16}(?:\.\d{1,2})?)[ \t]*\r?$",
    re.MULTILINE,
)
_OBJECT_ITEM = re.compile(r'"([^"]*)"|([^\s"]+)')
#: The fields of a #VER line of the usual shape: series, number, date, text[, regdate[, sign]].
_FAST_VER = re.compile(
    r'(?:"([^"\\]*)"|([^\s"{}]+))[ \t]+(?:"([^"\\]*)"|([^\s"{}]+))[ \t]+(\d{8})[ \t]+'
    r'"([^"\\]*)"(?:[ \t]+(?:(\d{8})|"(\d{8})"|""))?(?:[ \t]+"([^"\\]*)")?'
)

Record = tuple[int, str, list]


_BLOCK_END = re.compile(rb"\n[ \t]*\}[ \t]*\r?\n")


def _last_block_end(buffer: bytes) -> int:
    """The offset just after the last line that is only a "}", or -1."""
    window = 1 << 16
    while True:
        start = max(0, len(buffer) - window)
        ends = [m.end() for m in _BLOCK_END.finditer(buffer, start)]
        if ends:
            return ends[-1]
        if start == 0:
            return -1
        window *= 4


def _to_utf8(segment: bytes, encoding: str) -> bytes | None:
    try:
        return segment.decode(encoding).encode("utf-8")
    except UnicodeDecodeError:
        return None


def _batched(items: Iterator[Voucher], size: int) -> Iterator[list[Voucher]]:
    group: list[Voucher] = []
    for item in items:
        group.append(item)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


class _Skip(Exception):
    """The current record is damaged; its diagnostic is recorded, reading goes on."""


class SieReader:
    def __init__(
        self,
        path: Path | str,
        *,
        mode: str = "lenient",
        on_error: str = "raise",
        display_name: str | None = None,
        fast: bool = True,
    ) -> None:
        if mode not in ("strict", "lenient"):
            raise ValueError(f"mode must be 'strict' or 'lenient', not {mode!r}")
        if on_error not in ("raise", "collect"):
            raise ValueError(f"on_error must be 'raise' or 'collect', not {on_error!r}")
        self.path = Path(path)
        self.name = display_name or str(path)
        self.mode = mode
        self.on_error = on_error
        self.fast = fast  # False reads every line carefully (tests compare the two paths)
        self.diagnostics: list[Diagnostic] = []
        self.header = SieHeader()
        self._line_no = 0
        self._line_cut_off = False
        self._last_raw = b""
        self._bytes_checked_until = 0  # lines whose bytes were checked (the fast path replays)
        self._lossy_lines = 0
        try:
            self._handle: BinaryIO = open(self.path, "rb")  # noqa: SIM115 - closed in close()
        except FileNotFoundError:
            raise InvalidInputError(f"{self.name}: no such file") from None
        except IsADirectoryError:
            raise InvalidInputError(f"{self.name}: is a folder, expected a SIE file") from None
        except PermissionError:
            raise InvalidInputError(f"{self.name}: not readable (permission denied)") from None
        sample = self._handle.read(_SAMPLE)
        self._handle.seek(0)
        #: The encoding the bytes are in (not necessarily what #FORMAT says).
        self.encoding = detect_encoding(sample)
        self._encoding_settled = not sample.isascii() or len(sample) < _SAMPLE
        self._records = self._iter_records()
        self._pending: Record | None = None
        self._checksum: int | None = None  # running CRC-32 while inside #KSUMMA … #KSUMMA
        self._checksum_opened_at: int | None = None
        self._checksum_closed = False
        self._first_label: str | None = None
        self._seen_labels: set[str] = set()
        self._declared_seen: dict[tuple, int] = {}
        self._dimensions_with_objects: set[str] = set()
        self._year0: FiscalYear | None = None
        self._check_accounts = False
        self._reported: set[tuple] = set()  # (code, key) reported once per file, not per row
        self._keys = VoucherKeys()  # the series and numbers used so far
        self._occurrences: dict[tuple[str, str], int] = {}  # only numbers used more than once
        #: How many vouchers ``voucher_batches`` parsed as columns (the rest as objects).
        self.vouchers_in_columns = 0
        self._damaged = False  # a voucher lost rows: the file's balances cannot be checked
        try:
            body = sample.removeprefix(b"\xef\xbb\xbf").lstrip()
            if not body or not body.startswith(b"#"):
                # nothing here is SIE: one clear diagnostic rather than one per line
                self._report(
                    "not-sie",
                    None if not body else 1,
                    "the file is empty"
                    if not body
                    else "does not start with a #LABEL: this is not a SIE file",
                )
                self._records = iter(())
            self._read_header()
            if body.startswith(b"#"):
                self._check_header()
        except SieError:
            self.close()
            raise

    # -- context manager -------------------------------------------------------------------
    def __enter__(self) -> SieReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._handle.close()

    # -- diagnostics -----------------------------------------------------------------------
    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity != ERROR]

    def _report(self, code: str, line: int | None, message: str) -> None:
        spec = CODES[code]
        severity = spec.strict if self.mode == "strict" else spec.lenient
        if line is not None and line == self._line_no and self._line_cut_off:
            message += "; this last line ends without a line break: the file is truncated"
        diagnostic = Diagnostic(code, severity, self.name, line, message)
        self.diagnostics.append(diagnostic)
        if severity == ERROR and self.on_error == "raise":
            raise SieError(diagnostic, self.diagnostics)

    def _fail(self, code: str, line: int | None, message: str) -> None:
        """Report and skip the rest of the current record."""
        self._report(code, line, message)
        raise _Skip

    # -- records ---------------------------------------------------------------------------
    def _iter_records(self, lines: Iterable[tuple[int, bytes]] | None = None) -> Iterator[Record]:
        """(line number, label or '{' / '}', fields) for each record, checksum folded in."""
        for line_no, raw in enumerate(self._handle, start=1) if lines is None else lines:
            self._line_no, self._line_cut_off = line_no, not raw.endswith(b"\n")
            self._last_raw = raw
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a UTF-8 byte-order mark is not part of #FLAGGA
            replayed = line_no <= self._bytes_checked_until
            if b"\xef\xbf\xbd" in raw and not replayed:
                self._lossy_lines += 1
                if self._lossy_lines == 1:
                    self._report(
                        "lossy-encoding",
                        line_no,
                        "contains U+FFFD replacement characters where letters were: the file "
                        "was damaged by a lossy re-encoding; export it again",
                    )
            if not self._encoding_settled and not raw.isascii():
                self._settle_encoding(raw, line_no)
            try:
                text = raw.decode(self.encoding)
            except UnicodeDecodeError:
                if not replayed:
                    self._report(
                        "encoding-mismatch",
                        line_no,
                        f"this line is not {self.encoding.upper()} like the rest of the file: "
                        "the file mixes character sets",
                    )
                text = raw.decode(self.encoding, errors="replace")
            text = text.strip()
            if not text:
                continue
            if text in ("{", "}"):
                yield line_no, text, []
                continue
            if text[0] != "#":
                self._report(
                    "unexpected-text",
                    line_no,
                    f"expected a #LABEL, a '{{' or a '}}' at the start of the line, found "
                    f"{text[:30]!r}",
                )
                yield line_no, _LOST, []
                continue
            try:
                fields = tokenize_row(text) if text.startswith(_ROW_PREFIXES) else tokenize(text)
            except LexError as exc:
                self._report(exc.code, line_no, exc.message)
                yield line_no, _LOST, []
                continue
            label = fields[0].upper() if isinstance(fields[0], str) else ""
            if not _LABEL.match(label):
                self._report(
                    "bad-label",
                    line_no,
                    f"{fields[0]!r} is not a label (expected # followed by letters, like #TRANS)",
                )
                yield line_no, _LOST, []
                continue
            if self._first_label is None:
                self._first_label = label
            if label == "#KSUMMA":
                self._on_checksum(line_no, fields[1:])
                continue
            if self._checksum is not None:
                # over CP437 bytes, whatever the file's own encoding (SIE 4B)
                self._checksum = checksum_update(self._checksum, label, fields[1:], "cp437")
            yield line_no, label, fields[1:]

    def _settle_encoding(self, raw: bytes, line: int) -> None:
        """The first non-ASCII bytes came after the sample: they decide the encoding now."""
        self.encoding = detect_encoding(raw)
        self._encoding_settled = True
        declared = DECLARED.get((self.header.format or "").upper())
        if declared and declared != self.encoding:
            self._report(
                "encoding-mismatch",
                line,
                f"#FORMAT {self.header.format} says {declared.upper()}, but the bytes are "
                f"{self.encoding.upper()}; read as {self.encoding.upper()}",
            )

    def _on_checksum(self, line: int, fields: list) -> None:
        if self._checksum is None and not self._checksum_closed and not fields:
            self._checksum, self._checksum_opened_at = 0, line
            return
        if self._checksum is None:
            self._report("bad-checksum", line, "a closing #KSUMMA without an opening one")
            return
        value = fields[0] if fields and isinstance(fields[0], str) else ""
        if not _YEAR.match(value):
            self._report("bad-checksum", line, f"#KSUMMA is {value!r}; expected a number")
        elif int(value) & 0xFFFFFFFF != self._checksum:
            self._report(
                "checksum-mismatch",
                line,
                f"#KSUMMA says {value} but the content gives {self._checksum}: the file was "
                "changed after it was exported",
            )
        self._checksum, self._checksum_closed = None, True

    def _next(self) -> Record | None:
        if self._pending is not None:
            record, self._pending = self._pending, None
            return record
        return next(self._records, None)

    # -- fields ----------------------------------------------------------------------------
    @staticmethod
    def _text(fields: list, i: int) -> str | None:
        """Field i as text; absent, an object list, or the "" placeholder give None."""
        if i >= len(fields) or isinstance(fields[i], list) or fields[i] == "":
            return None
        return fields[i]

    def _require(self, fields: list, i: int, line: int, label: str, what: str) -> str:
        value = self._text(fields, i)
        if value is None:
            self._fail("missing-field", line, f"{label} lacks its {what}")
        return value

    def _amount(self, value: str | None, line: int, what: str) -> Decimal:
        pattern = _QUANTITY if what.endswith("quantity") else _AMOUNT
        if value is None or not pattern.match(value):
            expected = (
                "a quantity with at most four decimals"
                if pattern is _QUANTITY
                else "an amount like -1234.50 (point as decimal mark, at most two decimals)"
            )
            self._fail("bad-amount", line, f"{what} is {value!r}; expected {expected}")
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern already guards this
            self._fail("bad-amount", line, f"{what} is {value!r}")
            raise

    def _optional_amount(self, value: str | None, line: int, what: str) -> Decimal | None:
        return None if value is None else self._amount(value, line, what)

    def _date(self, value: str | None, line: int, what: str) -> date:
        if value is None or not _DATE.match(value):
            self._fail("bad-date", line, f"{what} is {value!r}; expected a date as YYYYMMDD")
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            self._fail("bad-date", line, f"{what} {value} is not a calendar date")
            raise

    def _optional_date(self, value: str | None, line: int, what: str) -> date | None:
        return None if value is None else self._date(value, line, what)

    def _year(self, value: str | None, line: int, label: str) -> int:
        if value is None or not _YEAR.match(value):
            self._fail("bad-year", line, f"{label} year number is {value!r}; expected 0, -1, …")
        return int(value)

    def _objects(self, value: object, line: int) -> Objects:
        if not isinstance(value, list):
            self._fail("bad-objects", line, f"expected an object list in braces, found {value!r}")
        if any(isinstance(item, list) for item in value) or len(value) % 2:
            self._fail(
                "bad-objects",
                line,
                "an object list must hold pairs of dimension and object id, "
                f"found {len(value)} items",
            )
        return tuple((value[i].strip(), value[i + 1]) for i in range(0, len(value), 2))

    # -- header ----------------------------------------------------------------------------
    def _read_header(self) -> None:
        while (record := self._next()) is not None:
            if record[1] == "#VER":
                self._pending = record
                return
            self._header_record(record)

    def _header_record(self, record: Record) -> None:
        line, label, f = record
        self._seen_labels.add(label)
        if label == _LOST:
            return
        try:
            if label in ("{", "}") or label in _ROW_LABELS:
                self._fail(
                    "row-outside-voucher" if label != "}" else "unexpected-brace",
                    line,
                    f"{label} appears outside a #VER voucher block",
                )
            handler = _HANDLERS.get(label)
            if handler is None:
                count = self.header.unknown_labels.get(label, 0)
                self.header.unknown_labels[label] = count + 1
                if count == 0:
                    self._report(
                        "unknown-label",
                        line,
                        f"{label} is not a SIE 4 label; ignored as the specification says",
                    )
                return
            handler(self, line, label, f)
        except _Skip:
            return

    def _once(self, key: tuple, line: int, what: str) -> None:
        first = self._declared_seen.get(key)
        if first is not None:
            self._report("duplicate-record", line, f"{what} is given again (first on line {first})")
        else:
            self._declared_seen[key] = line

    def _flagga(self, line: int, label: str, f: list) -> None:
        value = self._text(f, 0)
        if value not in ("0", "1"):
            self._fail("bad-flag", line, f"#FLAGGA is {value!r}; expected 0 or 1")
        self.header.flag = int(value)
        if self.header.flag == 1:
            self._report(
                "already-imported",
                line,
                "#FLAGGA 1: a program has already read this file; make sure its vouchers are "
                "not booked twice",
            )

    def _program(self, line: int, label: str, f: list) -> None:
        self.header.program = self._require(f, 0, line, label, "program name")
        self.header.program_version = self._text(f, 1)

    def _format(self, line: int, label: str, f: list) -> None:
        self.header.format = self._require(f, 0, line, label, "character set")

    def _gen(self, line: int, label: str, f: list) -> None:
        self.header.generated = self._date(self._text(f, 0), line, "#GEN date")
        self.header.generated_by = self._text(f, 1)

    def _sietyp(self, line: int, label: str, f: list) -> None:
        value = self._require(f, 0, line, label, "type")
        if value not in ("1", "2", "3", "4"):
            self._fail("bad-year", line, f"#SIETYP is {value!r}; expected 1, 2, 3 or 4")
        self.header.sie_type = value

    def _orgnr(self, line: int, label: str, f: list) -> None:
        self.header.orgnr = self._require(f, 0, line, label, "organisation number")
        self.header.orgnr_sequence = self._text(f, 1)

    def _adress(self, line: int, label: str, f: list) -> None:
        parts = [self._text(f, i) or "" for i in range(4)]
        self.header.address = (parts[0], parts[1], parts[2], parts[3])

    def _fnamn(self, line: int, label: str, f: list) -> None:
        # some programs leave a name with blanks unquoted; keep every word
        words = [x for x in f if isinstance(x, str)]
        if not words:
            self._fail("missing-field", line, "#FNAMN lacks the company name")
        self.header.company_name = " ".join(words)

    def _rar(self, line: int, label: str, f: list) -> None:
        index = self._year(self._text(f, 0), line, label)
        start = self._date(self._text(f, 1), line, "#RAR start date")
        end = self._date(self._text(f, 2), line, "#RAR end date")
        if end < start:
            self._fail(
                "bad-year", line, f"fiscal year {index} ends ({end}) before it starts ({start})"
            )
        if (end - start).days > 550:
            self._fail(
                "bad-year",
                line,
                f"fiscal year {index} runs from {start} to {end}: longer than 18 months",
            )
        self._once(("#RAR", index), line, f"#RAR {index}")
        self.header.fiscal_years.append(FiscalYear(index, start, end))

    def _taxar(self, line: int, label: str, f: list) -> None:
        value = self._require(f, 0, line, label, "tax year")
        if not re.fullmatch(r"\d{4}", value):
            self._fail("bad-year", line, f"#TAXAR is {value!r}; expected a year like 2024")
        self.header.tax_year = int(value)

    def _omfattn(self, line: int, label: str, f: list) -> None:
        self.header.balances_as_of = self._date(self._text(f, 0), line, "#OMFATTN date")

    def _valuta(self, line: int, label: str, f: list) -> None:
        self.header.currency = self._text(f, 0) or "SEK"

    def _account(self, number: str) -> Account:
        return self.header.accounts.get(number) or Account(number, "")

    def _konto(self, line: int, label: str, f: list) -> None:
        number = self._require(f, 0, line, label, "account number")
        self._once(("#KONTO", number), line, f"#KONTO {number}")
        current = self._account(number)
        self.header.accounts[number] = Account(
            number, self._text(f, 1) or "", current.account_type, current.unit, current.sru
        )

    def _dim(self, line: int, label: str, f: list) -> None:
        number = self._require(f, 0, line, label, "dimension number").strip()
        parent = None
        if label == "#UNDERDIM":
            parent = self._require(f, 2, line, label, "superior dimension").strip()
        self.header.dimensions[number] = Dimension(number, self._text(f, 1) or "", parent)

    def _objekt(self, line: int, label: str, f: list) -> None:
        dimension = self._require(f, 0, line, label, "dimension number").strip()
        object_id = self._require(f, 1, line, label, "object id")
        self._once(("#OBJEKT", dimension, object_id), line, f"#OBJEKT {dimension} {object_id}")
        self.header.objects[(dimension, object_id)] = self._text(f, 2) or ""

    def _balance(self, line: int, label: str, f: list) -> None:
        kind = label[1:]
        year = self._year(self._text(f, 0), line, label)
        account = self._require(f, 1, line, label, "account number")
        offset = 2
        objects: Objects = ()
        if kind in ("OIB", "OUB"):
            objects = self._objects(f[2] if len(f) > 2 else None, line)
            offset = 3
        amount = self._amount(self._text(f, offset), line, f"{label} amount")
        quantity = self._optional_amount(self._text(f, offset + 1), line, f"{label} quantity")
        self._once((kind, year, account, objects), line, f"{label} {year} {account}")
        self.header.balances.append(Balance(kind, year, account, amount, objects, quantity, line))

    def _period(self, line: int, label: str, f: list) -> None:
        year = self._year(self._text(f, 0), line, label)
        period = self._require(f, 1, line, label, "period")
        if not _PERIOD.match(period):
            self._fail("bad-period", line, f"{label} period is {period!r}; expected YYYYMM")
        account = self._require(f, 2, line, label, "account number")
        objects = self._objects(f[3], line) if len(f) > 3 and isinstance(f[3], list) else ()
        offset = 4 if len(f) > 3 and isinstance(f[3], list) else 3
        amount = self._amount(self._text(f, offset), line, f"{label} amount")
        quantity = self._optional_amount(self._text(f, offset + 1), line, f"{label} quantity")
        self.header.period_balances.append(
            PeriodBalance(label[1:], year, period, account, amount, objects, quantity, line)
        )

    # -- after the header ------------------------------------------------------------------
    def _check_header(self) -> None:
        h = self.header
        declared = DECLARED.get((h.format or "").upper())
        if h.format and declared and declared != self.encoding and self._encoding_settled:
            self._report(
                "encoding-mismatch",
                None,
                f"#FORMAT {h.format} says {declared.upper()}, but the bytes are "
                f"{self.encoding.upper()}; read as {self.encoding.upper()}",
            )
        if self._first_label not in (None, "#FLAGGA"):
            self._report("flag-first", 1, "#FLAGGA must be the first record of a SIE file")
        required = ["#FLAGGA", "#PROGRAM", "#FORMAT", "#GEN", "#FNAMN"]
        if h.sie_type != "1":
            required.append("#SIETYP")
        if h.sie_type in ("1", "2", "3"):
            required.append("#RAR")
        if h.sie_type in ("2", "3"):
            required.append("#OMFATTN")
        for label in required:
            if label not in self._seen_labels:
                self._report("missing-label", None, f"the file has no {label}, which SIE requires")
        known_years = {y.index for y in h.fiscal_years}
        for balance in (*h.balances, *h.period_balances):
            if balance.year not in known_years:
                self._report(
                    "unknown-year",
                    balance.line,
                    f"#{balance.kind} for year {balance.year}, but no #RAR {balance.year} says "
                    "which dates that year covers",
                )

    # -- vouchers --------------------------------------------------------------------------
    def vouchers(self) -> Iterator[Voucher]:
        """Stream the vouchers; at the end, prove the file complete."""
        booked: dict[str, Decimal] = {}
        self._start_vouchers()
        source = self._fast_vouchers() if self._fast_path_possible() else self._vouchers()
        yield from self._checked(source, booked)
        self._finish(booked)

    def voucher_batches(self) -> Iterator[VoucherBatch]:
        """The vouchers as Arrow tables (``columnar.VOUCHERS`` and ``columnar.ROWS``), a few
        megabytes of file at a time, with the same checks and diagnostics as ``vouchers()``.
        Text of the usual shape is parsed in columns, several times faster than objects."""
        booked: dict[str, Decimal] = {}
        self._start_vouchers()
        if not self._fast_path_possible():
            yield from self._object_batches(self._vouchers(), booked, 0)
            self._finish(booked)
            return
        ordinal = 0
        for before, segment, file_end in self._segments():
            batch = self._columnar(before, segment, booked, ordinal)
            batches = (
                [batch]
                if batch is not None
                else self._object_batches(
                    self._segment_vouchers(before, segment, file_end), booked, ordinal
                )
            )
            for batch in batches:
                ordinal += batch.vouchers.num_rows
                yield batch
        self._finish(booked)

    def _object_batches(
        self, source: Iterator[tuple[Voucher, bool]], booked: dict[str, Decimal], first: int
    ) -> Iterator[VoucherBatch]:
        for group in _batched(self._checked(source, booked), _OBJECT_BATCH):
            yield batch_from_vouchers(group, first)
            first += len(group)

    def _start_vouchers(self) -> None:
        """What the voucher checks hold a file to, fixed when its first voucher is read (a
        #KONTO or #RAR after the vouchers started does not change it)."""
        self._year0 = self.header.fiscal_year(0)
        # a 4I file may name a few accounts; only an export's chart is complete
        self._check_accounts = self.header.kind == "4E" and bool(self.header.accounts)
        self._dimensions_with_objects = {d for d, _ in self.header.objects}

    def _checked(
        self, source: Iterator[tuple[Voucher, bool]], booked: dict[str, Decimal]
    ) -> Iterator[Voucher]:
        for voucher, damaged in source:
            if not damaged:
                self._check_voucher(voucher, self._year0, self._check_accounts)
            for row in voucher.rows:
                if row.kind == "TRANS":
                    booked[row.account] = booked.get(row.account, Decimal(0)) + row.amount
            yield voucher

    def read(self) -> list[Voucher]:
        """All vouchers at once, for small files and tests."""
        return list(self.vouchers())

    def _check_voucher(
        self,
        voucher: Voucher,
        current: FiscalYear | None,
        check_accounts: bool,
    ) -> None:
        line = voucher.line
        if not voucher.rows:
            self._report("empty-voucher", line, f"{voucher.describe()} has no rows")
        off = voucher.imbalance()
        if off:
            self._report(
                "unbalanced-voucher", line, f"{voucher.describe()} does not balance: off by {off}"
            )
        if current is not None and not current.start <= voucher.date <= current.end:
            self._report(
                "outside-year",
                line,
                f"{voucher.describe()} lies outside the fiscal year {current.start} – "
                f"{current.end} (#RAR 0)",
            )
        key = (voucher.series, voucher.number)
        earlier = self._keys.earlier_line(*key)
        if earlier is None:
            self._keys.add(*key, line)
        else:
            voucher.occurrence = self._occurrences[key] = self._occurrences.get(key, 1) + 1
            if voucher.number:  # 4I vouchers may leave the number to the receiving program
                self._report(
                    "duplicate-voucher",
                    line,
                    f"{voucher.describe()} has the same series and number as the voucher on "
                    f"line {earlier}",
                )
        rows = voucher.rows
        for i, row in enumerate(rows):
            if (
                check_accounts
                and row.account not in self.header.accounts
                and self._first_time("unknown-account", row.account)
            ):
                self._report(
                    "unknown-account",
                    row.line,
                    f"{voucher.describe()} books on account {row.account}, which the chart "
                    "(#KONTO) does not have",
                )
            for dimension, object_id in row.objects:
                problem = self._unknown_object(dimension, object_id)
                if problem is not None:
                    key, message = problem
                    self._reported.add(("unknown-object", key))
                    self._report("unknown-object", row.line, message)
            if row.kind == "RTRANS":
                twin = rows[i + 1] if i + 1 < len(rows) else None
                if twin is None or (twin.kind, twin.account, twin.amount, twin.objects) != (
                    "TRANS",
                    row.account,
                    row.amount,
                    row.objects,
                ):
                    self._report(
                        "rtrans-without-twin",
                        row.line,
                        f"the #RTRANS row of {voucher.describe()} is not followed by its "
                        "#TRANS twin (same account, objects and amount)",
                    )

    def _unknown_object(self, dimension: str, object_id: str) -> tuple[object, str] | None:
        """What is wrong with an object a row books on, if it is not reported yet."""
        header = self.header
        if (
            header.dimensions
            and dimension not in header.dimensions
            and dimension not in ("1", "6")
            and ("unknown-object", dimension) not in self._reported
        ):
            return dimension, f"dimension {dimension} is used but never declared (#DIM)"
        if (
            dimension in self._dimensions_with_objects
            and (dimension, object_id) not in header.objects
            and ("unknown-object", (dimension, object_id)) not in self._reported
        ):
            return (dimension, object_id), (
                f"object {object_id} of dimension {dimension} is used but never declared (#OBJEKT)"
            )
        return None

    # -- the fast path -----------------------------------------------------------------------
    def _fast_path_possible(self) -> bool:
        return (
            self.fast
            and self._checksum is None
            and self._encoding_settled
            and self._pending is not None
        )

    def _segments(self) -> Iterator[tuple[int, bytes, bool]]:
        """The rest of the file from the pending #VER line, in pieces of about 4 MB that end
        after a line that is only "}": (lines before the piece, piece, whether it ends the
        file). The consumer reads each piece whole before asking for the next."""
        line_no = self._line_no - 1  # the pending #VER line is read again
        self._bytes_checked_until = self._line_no
        buffer = self._last_raw
        self._pending = None
        self._records = iter(())
        while True:
            data = self._handle.read(_CHUNK)
            buffer += data
            if data:
                end = _last_block_end(buffer)
                if end < 0:
                    continue  # no complete block yet: read more
                segment, buffer = buffer[:end], buffer[end:]
            else:
                segment, buffer = buffer, b""
            if not segment:
                return
            yield line_no, segment, not data
            line_no += segment.count(b"\n")
            self._line_no = line_no
            if not data:
                return

    def _fast_vouchers(self) -> Iterator[tuple[Voucher, bool]]:
        for before, segment, file_end in self._segments():
            yield from self._segment_vouchers(before, segment, file_end)

    def _columnar(
        self, before: int, segment: bytes, booked: dict[str, Decimal], first: int
    ) -> VoucherBatch | None:
        """``segment`` as Arrow columns when it is all of the usual shape and the reader's
        checks find nothing to report; None to read it as objects (which reports it)."""
        if self._checksum is not None:
            return None
        if _LOSSY in segment:  # the careful path reports U+FFFD, raw or decoded
            return None
        utf8 = segment if self.encoding == "utf-8" else _to_utf8(segment, self.encoding)
        if utf8 is None or _LOSSY in utf8:
            return None
        try:
            blocks = parse_blocks(utf8, before + 1)
        except (pa.ArrowInvalid, ValueError):
            return None  # not UTF-8 after all, or a value Arrow refuses: read it as objects
        if blocks is None:
            return None
        header = self.header
        current = self._year0
        if current is not None and len(blocks.days):
            epoch = date(1970, 1, 1)
            lowest, highest = (current.start - epoch).days, (current.end - epoch).days
            if blocks.days.min() < lowest or blocks.days.max() > highest:
                return None
        rows = blocks.rows
        if self._check_accounts:
            for account in pc.unique(rows.column("account")).to_pylist():
                if account not in header.accounts and (
                    ("unknown-account", account) not in self._reported
                ):
                    return None
        for objects in blocks.objects:
            for dimension, object_id in objects:
                if self._unknown_object(dimension, object_id) is not None:
                    return None
        if not self._remember_numbers(blocks.vouchers):
            return None
        if len(blocks.ore):
            sums = (
                pa.table(
                    {
                        "account": rows.column("account"),
                        "ore": pa.array(np.where(blocks.booked, blocks.ore, 0)),
                    }
                )
                .filter(pa.array(blocks.booked))
                .group_by("account")
                .aggregate([("ore", "sum")])
            )
            for account, ore in zip(
                sums.column("account").to_pylist(), sums.column("ore_sum").to_pylist(), strict=True
            ):
                booked[account] = booked.get(account, Decimal(0)) + Decimal(ore).scaleb(-2)
        self._line_cut_off = False
        self.vouchers_in_columns += blocks.vouchers.num_rows
        offset = pa.scalar(first, pa.int64())
        return VoucherBatch(
            vouchers=blocks.vouchers.set_column(
                0, "voucher", pc.add(blocks.vouchers.column("voucher"), offset)
            ),
            rows=rows.set_column(0, "voucher", pc.add(rows.column("voucher"), offset)),
        )

    def _remember_numbers(self, vouchers: pa.Table) -> bool:
        """Add the batch's voucher numbers to those seen; False (nothing added) unless each
        series runs on consecutively from numbers nobody used, the common case."""
        series = pc.dictionary_encode(vouchers.column("series")).combine_chunks()
        numbers = vouchers.column("number").combine_chunks()
        lines = vouchers.column("line").combine_chunks()
        if not pc.all(pc.match_substring_regex(numbers, r"^(0|[1-9][0-9]{0,17})$")).as_py():
            return False
        values = pc.cast(numbers, pa.int64()).to_numpy()
        indices = series.indices.to_numpy()
        runs = []
        for index, name in enumerate(series.dictionary.to_pylist()):
            mask = indices == index
            mine = values[mask]
            if len(mine) > 1 and not (np.diff(mine) == 1).all():
                return False
            if not self._keys.is_free(name, int(mine[0]), len(mine)):
                return False
            runs.append((name, int(mine[0]), lines.to_numpy()[mask].tolist()))
        for name, first, at in runs:
            self._keys.add_consecutive(name, first, at)
        return True

    def _segment_vouchers(
        self, line_no: int, segment: bytes, file_end: bool
    ) -> Iterator[tuple[Voucher, bool]]:
        """Whole voucher blocks matched by one regular expression.

        A block whose every row has the usual shape (account, flat object list, amount with at
        most two decimals, nothing after) becomes a Voucher here; everything else — blocks with
        unusual rows, text between blocks, a damaged end — goes line by line through the careful
        parser, so diagnostics are the same as without this path.
        """
        encoding = self.encoding
        try:
            text = segment.decode(encoding)
        except UnicodeDecodeError:
            text = None
        if text is None or "\ufffd" in text or _LOSSY in segment:
            yield from self._careful(line_no, segment, file_end=file_end)
            return
        position = 0
        count = text.count
        for match in _BLOCK.finditer(text):
            start, end = match.start(), match.end()
            # a block ends at its line end, so a one-character gap is its line break
            gap = start - position > 1 and text[position:start].strip()
            if self._checksum is not None or gap:
                # (or a #KSUMMA opened after the first voucher: the CRC needs every record)
                # something between two blocks: read it carefully, with the block after it
                # (an unclosed voucher is only seen as such when the next #VER follows)
                yield from self._careful(line_no, text[position:end].encode(encoding))
                line_no += count("\n", position, end)
                position = end
                continue
            line_no += count("\n", position, start)
            block = self._fast_block(match, line_no + 1)
            if block is None:
                yield from self._careful(line_no, match.group(0).encode(encoding))
            else:
                yield block, False
            line_no += count("\n", start, end)
            position = end
        rest = text[position:]
        if rest.strip():
            yield from self._careful(line_no, rest.encode(encoding), file_end=file_end)

    def _careful(
        self, before: int, segment: bytes, *, file_end: bool = False
    ) -> Iterator[tuple[Voucher, bool]]:
        """Run the line-by-line parser over ``segment``, whose first line is ``before + 1``.
        Only the file's own last line may end without a line break."""
        parts = segment.split(b"\n")
        lines = [part + b"\n" for part in parts[:-1]]
        if parts[-1]:
            lines.append(parts[-1] if file_end else parts[-1] + b"\n")
        self._records = self._iter_records(enumerate(lines, start=before + 1))
        yield from self._vouchers()

    def _fast_block(self, match: re.Match, line: int) -> Voucher | None:
        """The Voucher of a block in the usual shape, or None to read it carefully."""
        head, body = match.group(1), match.group(2)
        rows = _FAST_ROW.findall(body)
        if len(rows) != body.count("\n"):
            return None
        ver = _FAST_VER.fullmatch(head)
        if ver is None:
            return None
        series_q, series, number_q, number, day, text, registered, quoted_reg, signature = (
            ver.groups()
        )
        registered = registered or quoted_reg
        try:
            voucher = Voucher(
                series=series_q if series is None else series,
                number=number_q if number is None else number,
                date=date(int(day[:4]), int(day[4:6]), int(day[6:])),
                text=text,
                registered=(
                    date(int(registered[:4]), int(registered[4:6]), int(registered[6:]))
                    if registered
                    else None
                ),
                signature=signature or None,
                line=line,
            )
        except ValueError:
            return None
        append = voucher.rows.append
        row_line = line + 1
        for kind, account, objects, amount in rows:
            row_line += 1
            if objects.strip():
                items = [q if q or not b else b for q, b in _OBJECT_ITEM.findall(objects)]
                if len(items) % 2:
                    return None
                pairs = tuple((items[i].strip(), items[i + 1]) for i in range(0, len(items), 2))
            else:
                pairs = ()
            append(VoucherRow(kind, account, Decimal(amount), pairs, line=row_line))
        self._line_cut_off = False
        return voucher

    def _first_time(self, code: str, key: object) -> bool:
        if (code, key) in self._reported:
            return False
        self._reported.add((code, key))
        return True

    def _vouchers(self) -> Iterator[tuple[Voucher, bool]]:
        while (record := self._next()) is not None:
            line, label, f = record
            if label != "#VER":
                self._header_record(record)
                continue
            try:
                voucher = Voucher(
                    series=self._text(f, 0) or "",
                    number=self._text(f, 1) or "",
                    date=self._date(self._text(f, 2), line, "#VER date"),
                    text=self._text(f, 3) or "",
                    registered=self._optional_date(
                        self._text(f, 4), line, "#VER registration date"
                    ),
                    signature=self._text(f, 5),
                    line=line,
                )
            except _Skip:
                voucher = Voucher("", "", date.min, "", line=line)
            damaged = voucher.date == date.min
            opening = self._next()
            if opening is None:
                self._report(
                    "truncated",
                    line,
                    f"the file ends right after the #VER line of {voucher.describe()}: the "
                    "file is truncated",
                )
                self._damaged = True
                return
            braced = opening[1] == "{"
            if not braced:
                self._report(
                    "missing-block",
                    opening[0],
                    f"expected '{{' to open the rows of {voucher.describe()} (line {line})",
                )
                self._pending = opening
            while True:
                row = self._next()
                if not braced and (row is None or row[1] not in (*_ROW_LABELS, "}")):
                    self._pending = row
                    break
                if row is None:
                    self._report(
                        "truncated",
                        line,
                        f"{voucher.describe()} is not closed with '}}' before the end of the "
                        "file: the file is truncated",
                    )
                    self._damaged = True
                    return
                row_line, row_label, rf = row
                if row_label == "}":
                    break
                if row_label == _LOST:
                    damaged = True
                    continue
                kind = _ROW_LABELS.get(row_label)
                if kind is not None:
                    try:
                        voucher.rows.append(self._row(kind, rf, row_line))
                    except _Skip:
                        damaged = True
                elif row_label in ("#VER", "{"):
                    self._report(
                        "unclosed-voucher",
                        row_line,
                        f"{voucher.describe()} (line {line}) is not closed with '}}' before "
                        f"the next {row_label}",
                    )
                    self._pending = row if row_label == "#VER" else None
                    damaged = True
                    break
                else:
                    self._header_record(row)
            self._damaged = self._damaged or damaged
            yield voucher, damaged

    def _row(self, kind: str, f: list, line: int) -> VoucherRow:
        if len(f) == 3 and isinstance(f[1], list) and isinstance(f[0], str) and f[0]:
            # the common row: account, objects, amount and nothing else
            items = f[1]
            if not len(items) % 2 and all(isinstance(i, str) for i in items):
                amount = f[2]
                if isinstance(amount, str) and _AMOUNT.match(amount):
                    objects = tuple(
                        (items[i].strip(), items[i + 1]) for i in range(0, len(items), 2)
                    )
                    return VoucherRow(kind, f[0], Decimal(amount), objects, line=line)
        label = f"#{kind}"
        account = self._require(f, 0, line, label, "account number")
        if len(f) < 3:
            self._fail("missing-field", line, f"{label} needs account, object list and amount")
        return VoucherRow(
            kind=kind,
            account=account,
            amount=self._amount(self._text(f, 2), line, f"{label} amount"),
            objects=self._objects(f[1], line),
            date=self._optional_date(self._text(f, 3), line, f"{label} date"),
            text=self._text(f, 4),
            quantity=self._optional_amount(self._text(f, 5), line, f"{label} quantity"),
            signature=self._text(f, 6),
            line=line,
        )

    # -- the end of the file ---------------------------------------------------------------
    def _finish(self, booked: dict[str, Decimal]) -> None:
        if self._checksum is not None:
            self._report(
                "truncated",
                self._checksum_opened_at,
                "the file opens a #KSUMMA checksum but ends before the closing #KSUMMA: the "
                "file is truncated",
            )
        if self._lossy_lines > 1:
            self.diagnostics.append(
                Diagnostic(
                    "lossy-encoding",
                    ERROR,
                    self.name,
                    None,
                    f"in all, {self._lossy_lines} lines carry U+FFFD replacement characters",
                )
            )
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
        if not stated or not booked or self._damaged:
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
            self._report(
                "balances-disagree",
                None,
                f"the vouchers do not add up to the balances the file states: account {account} "
                f"opens at {start:.2f} and its vouchers move {moved:.2f}, which gives "
                f"{start + moved:.2f}, but the file says {stated_amount:.2f}{more}. The file is "
                "incomplete (most likely truncated) or was edited after the export",
            )


def _header_text(attribute: str):
    """A handler for a label whose one field goes to a header attribute as it is."""

    def handle(reader: SieReader, line: int, label: str, f: list) -> None:
        setattr(reader.header, attribute, reader._text(f, 0))

    return handle


def _account_attribute(attribute: str, what: str):
    """A handler for #KTYP, #ENHET and #SRU: one more fact about an account."""

    def handle(reader: SieReader, line: int, label: str, f: list) -> None:
        number = reader._require(f, 0, line, label, "account number")
        value = reader._require(f, 1, line, label, what)
        current = reader._account(number)
        values = {
            "account_type": current.account_type,
            "unit": current.unit,
            "sru": current.sru,
            attribute: value,
        }
        reader.header.accounts[number] = Account(number, current.name, **values)

    return handle


_R = SieReader
_HANDLERS = {
    "#FLAGGA": _R._flagga,
    "#PROGRAM": _R._program,
    "#FORMAT": _R._format,
    "#GEN": _R._gen,
    "#SIETYP": _R._sietyp,
    "#PROSA": _header_text("prosa"),
    "#FTYP": _header_text("company_type"),
    "#FNR": _header_text("company_number"),
    "#ORGNR": _R._orgnr,
    "#BKOD": _header_text("industry_code"),
    "#ADRESS": _R._adress,
    "#FNAMN": _R._fnamn,
    "#RAR": _R._rar,
    "#TAXAR": _R._taxar,
    "#OMFATTN": _R._omfattn,
    "#KPTYP": _header_text("chart_type"),
    "#VALUTA": _R._valuta,
    "#KONTO": _R._konto,
    "#KTYP": _account_attribute("account_type", "account type"),
    "#ENHET": _account_attribute("unit", "unit"),
    "#SRU": _account_attribute("sru", "SRU code"),
    "#DIM": _R._dim,
    "#UNDERDIM": _R._dim,
    "#OBJEKT": _R._objekt,
    "#IB": _R._balance,
    "#UB": _R._balance,
    "#RES": _R._balance,
    "#OIB": _R._balance,
    "#OUB": _R._balance,
    "#PSALDO": _R._period,
    "#PBUDGET": _R._period,
}
assert set(_HANDLERS) | {"#KSUMMA"} == _HEADER_LABELS
