"""Voucher blocks straight into Arrow columns, for reading and loading large files fast.

A Python object per voucher row caps reading at about 9 MB/s. Here a few megabytes of text
become one Arrow array of lines; Arrow's compute kernels (RE2 regular expressions, casts,
date parsing) take the fields apart in C++ and NumPy does the per-voucher sums. Only text of
the usual shape is read this way — every line a #VER, "{", a plain #TRANS/#BTRANS row, "}" or
blank between vouchers — and ``parse_blocks`` returns None for anything else, so that the
careful path reads it and reports what is wrong. The reader (``SieReader.voucher_batches``)
then checks what needs the whole file: fiscal year, the chart, voucher numbers, objects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ledgerbridge.formats.sie.model import Objects, Voucher

OBJECT = pa.struct([("dimension", pa.string()), ("object_id", pa.string())])
OBJECT_LIST = pa.list_(OBJECT)
VOUCHERS = pa.schema(
    [
        ("voucher", pa.int64()),
        ("series", pa.string()),
        ("number", pa.string()),
        ("date", pa.date32()),
        ("text", pa.string()),
        ("registered", pa.date32()),
        ("signature", pa.string()),
        ("line", pa.int64()),
        ("occurrence", pa.int32()),
    ]
)
#: ``voucher`` is the voucher's ordinal in the file (0, 1, …), as in VOUCHERS. ``objects`` is
#: dictionary-encoded: a file uses a few hundred object lists for millions of rows.
ROWS = pa.schema(
    [
        ("voucher", pa.int64()),
        ("row_number", pa.int32()),
        ("kind", pa.string()),
        ("account", pa.string()),
        ("objects", pa.dictionary(pa.int32(), OBJECT_LIST)),
        ("amount", pa.decimal128(18, 2)),
        ("date", pa.date32()),
        ("text", pa.string()),
        ("quantity", pa.decimal128(18, 4)),
        ("signature", pa.string()),
        ("line", pa.int64()),
    ]
)


@dataclass(frozen=True)
class VoucherBatch:
    """Consecutive vouchers of one file and their rows."""

    vouchers: pa.Table
    rows: pa.Table

    def for_rows(self, column: str) -> pa.ChunkedArray:
        """A voucher column repeated for each row, in row order."""
        first = self.vouchers.column("voucher")[0] if self.vouchers.num_rows else 0
        position = pc.subtract(self.rows.column("voucher"), pa.scalar(first, pa.int64()))
        return pc.take(self.vouchers.column(column), position)


#: The same shapes as the reader's object fast path (reader._FAST_ROW, reader._FAST_VER).
_ROW = (
    r'^#(?P<kind>TRANS|BTRANS)[ \t]+(?P<account>[^\s"{}#]+)[ \t]+'
    r'\{(?P<objects>[^{}"\\\r\n]*(?:"[^"\\\r\n]*"[^{}"\\\r\n]*)*)\}[ \t]+'
    r"(?P<amount>-?\d{1,16}(?:\.\d{1,2})?)$"
)
_VER = (
    r'^#VER[ \t]+(?:"(?P<series_q>[^"\\]*)"|(?P<series>[^\s"{}]+))[ \t]+'
    r'(?:"(?P<number_q>[^"\\]*)"|(?P<number>[^\s"{}]+))[ \t]+(?P<date>\d{8})[ \t]+'
    r'"(?P<text>[^"\\]*)"(?:[ \t]+(?:(?P<reg>\d{8})|"(?P<reg_q>\d{8})"|""))?'
    r'(?:[ \t]+"(?P<signature>[^"\\]*)")?$'
)
_OBJECT_ITEM = re.compile(r'"([^"]*)"|([^\s"]+)')
# line kinds, and which may follow which: #VER → "{" → rows → "}" → blank lines → #VER …
_VER_LINE, _OPEN, _ROW_LINE, _CLOSE, _BLANK, _OTHER = range(6)
_FOLLOWS = np.zeros((6, 6), dtype=bool)
for _before, _after in [
    (_VER_LINE, _OPEN),
    (_OPEN, _ROW_LINE),
    (_OPEN, _CLOSE),
    (_ROW_LINE, _ROW_LINE),
    (_ROW_LINE, _CLOSE),
    (_CLOSE, _VER_LINE),
    (_CLOSE, _BLANK),
    (_BLANK, _VER_LINE),
    (_BLANK, _BLANK),
]:
    _FOLLOWS[_before, _after] = True
#: A piece whose rows could add up past int64 öre goes the careful way (Decimal sums).
_MAX_SUM = 2**62
#: Whitespace Python's ``\s`` knows and RE2's does not (NBSP, vertical tab, U+2028, …): the
#: careful path treats these as field separators, so such a piece is read carefully.
_ODD_SPACE = re.compile(
    b"|".join(
        re.escape(c.encode())
        for c in "\v\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
        + "".join(chr(c) for c in range(0x2000, 0x200B))
    )
)


def parse_objects(text: str) -> Objects | None:
    """``1 "ADM" 6 "P100"`` → (("1", "ADM"), ("6", "P100")); None when the items are odd."""
    if not text.strip():
        return ()
    items = [q if q or not b else b for q, b in _OBJECT_ITEM.findall(text)]
    if len(items) % 2:
        return None
    return tuple((items[i].strip(), items[i + 1]) for i in range(0, len(items), 2))


@dataclass
class Blocks:
    """What ``parse_blocks`` found, with what the reader's checks need beside the tables."""

    vouchers: pa.Table  # VOUCHERS, ordinals from 0
    rows: pa.Table  # ROWS
    days: np.ndarray  # each voucher's date, days since 1970-01-01
    row_voucher: np.ndarray  # each row's voucher (index into vouchers)
    ore: np.ndarray  # each row's amount in öre
    booked: np.ndarray  # True for #TRANS rows
    objects: list[Objects]  # the dictionary of rows.objects, parsed


def parse_blocks(utf8: bytes, first_line: int) -> Blocks | None:
    """The vouchers in ``utf8`` (whole lines, the first being line ``first_line`` of the
    file), or None when any line is not of the usual shape."""
    if not utf8.endswith(b"\n") or _ODD_SPACE.search(utf8):
        return None
    text = pa.array([utf8], pa.large_binary()).cast(pa.large_string())
    lines = pc.list_flatten(pc.split_pattern(text, "\n"))
    lines = pc.ascii_trim(lines.slice(0, len(lines) - 1), " \t\r")
    count = len(lines)
    if count == 0:
        return None
    kind = np.full(count, _OTHER, dtype=np.int8)
    for code, found in (
        (_VER_LINE, pc.starts_with(lines, "#VER")),
        (_ROW_LINE, pc.starts_with(lines, "#TRANS")),
        (_ROW_LINE, pc.starts_with(lines, "#BTRANS")),
        (_OPEN, pc.equal(lines, "{")),
        (_CLOSE, pc.equal(lines, "}")),
        (_BLANK, pc.equal(lines, "")),
    ):
        kind[found.to_numpy(zero_copy_only=False)] = code
    before = np.empty(count, dtype=np.int8)
    before[0] = _CLOSE  # a segment starts where a voucher ended
    before[1:] = kind[:-1]
    if not _FOLLOWS[before, kind].all() or kind[-1] not in (_CLOSE, _BLANK):
        return None

    is_ver, is_row = kind == _VER_LINE, kind == _ROW_LINE
    ver = pc.extract_regex(lines.filter(pa.array(is_ver)), _VER)
    row = pc.extract_regex(lines.filter(pa.array(is_row)), _ROW)
    if ver.null_count or row.null_count:
        return None
    voucher_count, row_count = len(ver), len(row)

    dates = _dates(ver.field("date"))
    registered_text = ver.field("reg")
    registered_text = pc.if_else(pc.equal(registered_text, ""), ver.field("reg_q"), registered_text)
    has_registered = pc.not_equal(registered_text, "")
    registered = _dates(pc.if_else(has_registered, registered_text, "19700101"))
    if dates is None or registered is None:
        return None  # an impossible date: the careful path says which
    registered = pc.if_else(has_registered, registered, pa.scalar(None, pa.date32()))

    amounts = pc.cast(row.field("amount"), pa.decimal128(18, 2))
    # a decimal128 is two little-endian int64 words; amounts of 18 digits fit the low one
    ore = np.frombuffer(amounts.buffers()[1], dtype=np.int64)[0::2][:row_count]
    if row_count and int(np.abs(ore).max()) * row_count >= _MAX_SUM:
        return None
    row_kind = row.field("kind")
    booked = pc.equal(row_kind, "TRANS").to_numpy(zero_copy_only=False)

    row_voucher = (np.cumsum(is_ver) - 1)[is_row]
    per_voucher = np.bincount(row_voucher, minlength=voucher_count)
    if voucher_count and per_voucher.min() == 0:
        return None  # an empty voucher: reported by the careful path
    first_row = np.zeros(voucher_count, dtype=np.int64)
    np.cumsum(per_voucher[:-1], out=first_row[1:])
    if voucher_count and np.add.reduceat(np.where(booked, ore, 0), first_row).any():
        return None  # an unbalanced voucher: reported by the careful path

    encoded = pc.dictionary_encode(row.field("objects"))
    parsed = [parse_objects(t) for t in encoded.dictionary.to_pylist()]
    if any(p is None for p in parsed):
        return None
    objects = pa.DictionaryArray.from_arrays(
        encoded.indices.cast(pa.int32()), _object_lists(parsed)
    )

    line_numbers = np.arange(first_line, first_line + count, dtype=np.int64)
    series, number = (
        pc.if_else(pc.equal(ver.field(name), ""), ver.field(f"{name}_q"), ver.field(name))
        for name in ("series", "number")
    )
    signature = ver.field("signature")
    vouchers = pa.Table.from_arrays(
        [
            pa.array(np.arange(voucher_count, dtype=np.int64)),
            series.cast(pa.string()),
            number.cast(pa.string()),
            dates,
            ver.field("text").cast(pa.string()),
            registered,
            pc.if_else(pc.equal(signature, ""), pa.scalar(None, signature.type), signature).cast(
                pa.string()
            ),
            pa.array(line_numbers[is_ver]),
            pa.array(np.ones(voucher_count, dtype=np.int32)),  # the reader refuses repeats
        ],
        schema=VOUCHERS,
    )
    rows = pa.Table.from_arrays(
        [
            pa.array(row_voucher.astype(np.int64)),
            pa.array((np.arange(row_count) - first_row[row_voucher] + 1).astype(np.int32)),
            row_kind.cast(pa.string()),
            row.field("account").cast(pa.string()),
            objects,
            amounts,
            pa.nulls(row_count, pa.date32()),
            pa.nulls(row_count, pa.string()),
            pa.nulls(row_count, pa.decimal128(18, 4)),
            pa.nulls(row_count, pa.string()),
            pa.array(line_numbers[is_row]),
        ],
        schema=ROWS,
    )
    return Blocks(
        vouchers=vouchers,
        rows=rows,
        days=dates.cast(pa.int32()).to_numpy(zero_copy_only=False),
        row_voucher=row_voucher,
        ore=ore,
        booked=booked,
        objects=parsed,
    )


def _dates(text: pa.Array) -> pa.Array | None:
    """YYYYMMDD text as dates; None when any is not a date of the calendar (strptime alone
    would turn 20240230 into 1 March)."""
    parsed = pc.strptime(text, format="%Y%m%d", unit="s", error_is_null=True)
    if parsed.null_count:
        return None
    if not pc.all(pc.equal(pc.strftime(parsed, format="%Y%m%d"), text)).as_py():
        return None
    if len(parsed) and pc.min(pc.year(parsed)).as_py() < 1:  # Python's dates start at year 1
        return None
    return parsed.cast(pa.date32())


def _object_lists(parsed: Sequence[Objects]) -> pa.Array:
    return pa.array(
        [[{"dimension": d, "object_id": o} for d, o in objects] for objects in parsed],
        OBJECT_LIST,
    )


def batch_from_vouchers(vouchers: Sequence[Voucher], first: int) -> VoucherBatch:
    """The Arrow form of vouchers read as objects; ordinals start at ``first``."""
    dictionary: dict[Objects, int] = {}
    v_cols: list[list] = [[] for _ in VOUCHERS.names]
    r_cols: list[list] = [[] for _ in ROWS.names]
    for ordinal, voucher in enumerate(vouchers, start=first):
        for column, value in zip(
            v_cols,
            (
                ordinal,
                voucher.series,
                voucher.number,
                voucher.date,
                voucher.text,
                voucher.registered,
                voucher.signature,
                voucher.line,
                voucher.occurrence,
            ),
            strict=True,
        ):
            column.append(value)
        for number, row in enumerate(voucher.rows, start=1):
            index = dictionary.setdefault(row.objects, len(dictionary))
            for column, value in zip(
                r_cols,
                (
                    ordinal,
                    number,
                    row.kind,
                    row.account,
                    index,
                    row.amount,
                    row.date,
                    row.text,
                    row.quantity,
                    row.signature,
                    row.line,
                ),
                strict=True,
            ):
                column.append(value)
    lists = _object_lists(list(dictionary))
    r_arrays = [
        pa.DictionaryArray.from_arrays(pa.array(values, pa.int32()), lists)
        if name == "objects"
        else pa.array(values, ROWS.field(name).type)
        for name, values in zip(ROWS.names, r_cols, strict=True)
    ]
    return VoucherBatch(
        vouchers=pa.Table.from_arrays(
            [pa.array(values, VOUCHERS.field(i).type) for i, values in enumerate(v_cols)],
            schema=VOUCHERS,
        ),
        rows=pa.Table.from_arrays(r_arrays, schema=ROWS),
    )
