"""The fast paths read exactly what the careful line-by-line path reads: the block-at-a-time
object path (``vouchers()``) and the columnar one (``voucher_batches()``)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerbridge.errors import InvalidInputError
from ledgerbridge.formats.sie import SieReader, Voucher, VoucherRow
from ledgerbridge.formats.sie.columnar import VoucherBatch
from sandbox.demo_company import DemoOptions, generate
from tests.fuzz.fuzz_sie import mutate, seeds


def read(path: Path, fast: bool, mode: str, columnar: bool = False) -> tuple:
    try:
        with SieReader(path, mode=mode, on_error="collect", fast=fast) as reader:
            vouchers = from_batches(reader.voucher_batches()) if columnar else reader.read()
            return (
                [
                    (
                        v.series,
                        v.number,
                        v.date,
                        v.text,
                        v.registered,
                        v.signature,
                        v.line,
                        v.occurrence,
                        v.rows,
                    )
                    for v in vouchers
                ],
                reader.diagnostics,
                reader.header.balances,
            )
    except InvalidInputError as exc:
        return ("refused", str(exc))


def from_batches(batches: Iterator[VoucherBatch]) -> list[Voucher]:
    """Vouchers rebuilt from Arrow batches, checking the ordinals run on without gaps."""
    vouchers: list[Voucher] = []
    for batch in batches:
        first = len(vouchers)
        for v in batch.vouchers.to_pylist():
            assert v["voucher"] == len(vouchers)
            vouchers.append(
                Voucher(v["series"], v["number"], v["date"], v["text"], v["registered"],
                        v["signature"], line=v["line"], occurrence=v["occurrence"])
            )  # fmt: skip
        for r in batch.rows.to_pylist():
            assert first <= r["voucher"] < len(vouchers)
            rows = vouchers[r["voucher"]].rows
            assert r["row_number"] == len(rows) + 1
            objects = tuple((o["dimension"], o["object_id"]) for o in r["objects"])
            rows.append(
                VoucherRow(r["kind"], r["account"], r["amount"], objects, r["date"], r["text"],
                           r["quantity"], r["signature"], r["line"])
            )  # fmt: skip
    return vouchers


def same(path: Path) -> None:
    for mode in ("lenient", "strict"):
        careful = read(path, False, mode)
        assert read(path, True, mode) == careful, (path, mode)
        assert read(path, True, mode, columnar=True) == careful, (path, mode, "columnar")


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in (Path(__file__).parents[3] / "shared" / "corpus" / "sie").glob("*")),
)
def test_corpus_files(corpus: Path, name: str) -> None:
    same(corpus / "sie" / name)


def test_a_demo_export_larger_than_one_chunk(tmp_path: Path) -> None:
    result = generate(DemoOptions(scale=200_000), tmp_path / "demo")
    path = max(result.sie_files, key=lambda p: p.stat().st_size)
    assert path.stat().st_size > 5 << 20  # more than one 4 MB chunk
    same(path)
    with SieReader(path) as reader:
        batches = list(reader.voucher_batches())
    assert len(batches) > 1
    assert reader.vouchers_in_columns == sum(b.vouchers.num_rows for b in batches) > 10_000


def test_mutated_files(corpus: Path, tmp_path: Path) -> None:
    rng = random.Random(5)
    inputs = seeds(corpus)
    for i in range(150):
        path = tmp_path / f"m{i}.se"
        path.write_bytes(mutate(rng.choice(inputs), rng))
        same(path)


def test_tuple_rows_follow_the_schema_order() -> None:
    """sie_file_rows builds vouchers and rows as tuples; their order is the schema's."""
    from ingestion.sources.sie import VOUCHER_ROWS, VOUCHERS

    assert VOUCHERS.schema.names == [
        "company_id", "fiscal_year_start", "voucher_series", "voucher_number",
        "voucher_occurrence", "voucher_date", "voucher_text", "registered_on", "source_line",
        "file_sha256",
    ]  # fmt: skip
    assert VOUCHER_ROWS.schema.names == [
        "company_id", "fiscal_year_start", "voucher_series", "voucher_number",
        "voucher_occurrence", "row_number", "row_kind", "account_number", "cost_centre",
        "project", "objects", "amount", "transaction_date", "row_text", "quantity", "source_line",
    ]  # fmt: skip


HEAD = (
    '#FLAGGA 0\n#PROGRAM "x" 1\n#FORMAT PC8\n#GEN 20240101\n#SIETYP 4\n#FNAMN "Bolag"\n'
    '#RAR 0 20240101 20241231\n#KONTO 1910 "Kassa"\n#KONTO 3010 "F"\n'
    '#DIM 1 "RE"\n#OBJEKT 1 "1" "A"\n'
)
V = '#VER A {n} 20240105 "t"\n{{\n#TRANS 1910 {{}} 100\n#TRANS 3010 {{}} -100\n}}\n'

#: Shapes the fast path once read differently from the careful one (found by review).
TRICKY = {
    "junk after a block": HEAD + V.format(n=1) + "x\n" + V.format(n=2),
    "quoted registration date": HEAD
    + '#VER A 1 20240105 "t" "20240106"\n{\n#TRANS 1910 {} 100\n#TRANS 3010 {} -100\n}\n',
    "quoted dimension with a blank": HEAD
    + '#VER A 1 20240105 "t"\n{\n#TRANS 1910 {" 1" "1"} 100\n#TRANS 3010 {} -100\n}\n',
    "CR CR LF line ends": (HEAD + V.format(n=1) + V.format(n=2)).replace("\n", "\r\r\n"),
    "lone CR inside a text": HEAD
    + '#VER A 1 20240105 "t"\n{\n#TRANS 1910 {} 100 20240105 "a\rb"\n#TRANS 3010 {} -100\n}\n',
    "a line starting with }": HEAD
    + '#VER A 1 20240105 "t"\n{\n#TRANS 1910 {} 100\n}x\n#TRANS 3010 {} -100\n }\n',
    "indented braces": HEAD
    + "".join(
        V.format(n=i).replace("{\n#", "\t{\n\t#").replace("\n}", "\n\t}") for i in range(1, 30)
    ),
    "#KSUMMA after the first voucher": HEAD
    + V.format(n=1)
    + "#KSUMMA\n"
    + V.format(n=2)
    + "#KSUMMA 12345\n",
    "U+FFFD on the first #VER": HEAD
    + '#VER A 1 20240105 "t\ufffd"\n{\n#TRANS 1910 {} 100\n#TRANS 3010 {} -100\n}\n',
    "no line break at the end": HEAD + V.format(n=1) + V.format(n=2).rstrip("\n"),
    # of the usual shape, but with something the reader must report (the columnar path defers)
    "unbalanced": HEAD + V.format(n=1) + V.format(n=2).replace("-100", "-90"),
    "outside the fiscal year": HEAD + V.format(n=1) + V.format(n=2).replace("20240105", "20250105"),
    "an account not in the chart": HEAD + V.format(n=1) + V.format(n=2).replace("3010", "3011"),
    "an undeclared object": HEAD + V.format(n=1) + V.format(n=2).replace("1910 {}", '1910 {1 "Z"}'),
    "an undeclared dimension": HEAD + V.format(n=1).replace("1910 {}", '1910 {7 "Z"}'),
    "a duplicate number": HEAD + "".join(V.format(n=n) for n in (1, 2, 3, 2, 4)),
    "numbers out of order": HEAD + "".join(V.format(n=n) for n in (3, 1, 2, 10, 5)),
    "leading zeros": HEAD + "".join(V.format(n=n) for n in ("1", "01", "001", "2")),
    "numbers that are not integers": HEAD + "".join(V.format(n=n) for n in ("1A", "1B", "1A")),
    "an empty voucher": HEAD + V.format(n=1) + '#VER A 2 20240105 "t"\n{\n}\n' + V.format(n=3),
    "an impossible date": HEAD + V.format(n=1) + V.format(n=2).replace("20240105", "20240230"),
    "struck and added rows": HEAD
    + '#VER A 1 20240105 "t"\n{\n#BTRANS 1910 {} 50\n#RTRANS 1910 {} 100\n#TRANS 1910 {} 100\n'
    "#TRANS 3010 {} -100\n}\n" + V.format(n=2),
    "an amount of 10^14 kronor": HEAD
    + V.format(n=1).replace(" 100\n", " 100000000000000\n").replace("-100", "-100000000000000"),
    "CRLF line ends": (HEAD + V.format(n=1) + V.format(n=2)).replace("\n", "\r\n"),
    "blank lines between vouchers": HEAD + V.format(n=1) + "\n \n" + V.format(n=2) + "\n",
    "a blank line inside a voucher": HEAD + V.format(n=1).replace("{\n", "{\n\n") + V.format(n=2),
    # found by review: where Arrow's parsing differs from Python's
    "NBSP in a series": HEAD + V.format(n=1) + V.format(n=2).replace("#VER A", "#VER A\u00a0"),
    "vertical tab in an account": HEAD + V.format(n=1).replace("1910 {}", "19\x0b10 {}"),
    "registration date in year 0": HEAD + V.format(n=1).replace('"t"', '"t" 00000101'),
    "a voucher date in year 0 without #RAR": HEAD.replace("#RAR 0 20240101 20241231\n", "")
    + V.format(n=1).replace("20240105", "00000105"),
    "the raw bytes of U+FFFD in a CP437 file": HEAD
    + V.format(n=1).replace('"t"', '"\u2229\u2510\u255c"'),
    "#KONTO after the vouchers started": HEAD.replace('#KONTO 1910 "Kassa"\n#KONTO 3010 "F"\n', "")
    + V.format(n=1)
    + '#KONTO 1910 "Kassa"\n'
    + "".join(V.format(n=n) for n in range(2, 40)),
    "#RAR after the vouchers started": HEAD.replace("#RAR 0 20240101 20241231\n", "")
    + V.format(n=1)
    + "#RAR 0 20230101 20231231\n"
    + "".join(V.format(n=n) for n in range(2, 40)),
    "#OBJEKT after the vouchers started": HEAD
    + V.format(n=1)
    + '#DIM 6 "P"\n#OBJEKT 6 "P1" "x"\n'
    + "".join(V.format(n=n).replace("1910 {}", '1910 {6 "P2"}') for n in range(2, 40)),
    "amounts whose sum would overflow int64 öre": HEAD
    + '#VER A 1 20240105 "t"\n{\n'
    + "#TRANS 1910 {} 9999999999999999.99\n" * 3
    + "#TRANS 3010 {} -9999999999999999.99\n" * 3
    + "}\n",
    "balances that disagree": HEAD
    + "#IB 0 1910 50\n#UB 0 1910 140\n#RES 0 3010 -100\n"
    + V.format(n=1),
    "quoted series, signature, several objects": HEAD
    + '#OBJEKT 1 "2" "B"\n#VER "A" "7" 20240105 "t \u00e5" 20240106 "Eva"\n{\n'
    '#TRANS 1910 {1 "1" 1 "2"} 100\n#TRANS 3010 {"1" 1} -100\n}\n',
}


@pytest.mark.parametrize("chunk", [16, 200, 1000, 4 << 20])
@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_shapes_at_every_chunk_size(
    name: str, chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ledgerbridge.formats.sie.reader as reader_module

    monkeypatch.setattr(reader_module, "_CHUNK", chunk)
    path = tmp_path / "tricky.se"
    path.write_bytes(TRICKY[name].encode("utf-8" if "\ufffd" in TRICKY[name] else "cp437"))
    same(path)


@pytest.mark.parametrize("chunk", [64, 1000])
def test_mutated_files_at_small_chunk_sizes(
    chunk: int, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ledgerbridge.formats.sie.reader as reader_module

    monkeypatch.setattr(reader_module, "_CHUNK", chunk)
    rng = random.Random(chunk)
    inputs = seeds(corpus)
    for i in range(60):
        path = tmp_path / f"m{i}.se"
        path.write_bytes(mutate(rng.choice(inputs), rng))
        same(path)


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_label(tmp_path: Path) -> None:
    path = tmp_path / "bom.se"
    path.write_bytes(
        b"\xef\xbb\xbf" + (HEAD + V.format(n=1)).replace("Bolag", "Bolag åäö").encode("utf-8")
    )
    with SieReader(path, on_error="collect") as reader:
        assert len(reader.read()) == 1
    assert reader.header.company_name == "Bolag åäö" and reader.encoding == "utf-8"
    assert [d.code for d in reader.diagnostics] == ["encoding-mismatch"]
