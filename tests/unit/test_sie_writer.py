"""The SIE writer: what it writes reads back the same, in CP437, with a checksum if asked."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.formats.sie import (
    Account,
    Dimension,
    FiscalYear,
    SieHeader,
    SieReader,
    Voucher,
    VoucherRow,
    write_sie,
)


def strip_lines(voucher: Voucher) -> tuple:
    return (
        voucher.series,
        voucher.number,
        voucher.date,
        voucher.text,
        voucher.registered,
        voucher.signature,
        tuple(replace(row, line=0) for row in voucher.rows),
    )


def comparable_header(header: SieHeader) -> dict:
    return {
        "company_name": header.company_name,
        "orgnr": header.orgnr,
        "fiscal_years": sorted(header.fiscal_years, key=lambda y: y.index),
        "accounts": header.accounts,
        "dimensions": header.dimensions,
        "objects": header.objects,
        "balances": [replace(b, line=0) for b in header.balances],
        "period_balances": [replace(p, line=0) for p in header.period_balances],
        "currency": header.currency,
    }


CORPUS_FILES = [
    "01_SIE4_Exempelfil_sie-gruppen_2024.SE",
    "04_BL0001_typ4_rtrans_btrans.SE",
    "08_kontek_lon_typ4I_dims.SI",
    "11_blblov_typ4I_iso8859-15.SI",
    "12_sie4sdk_typ4I_underdim_escapes_utf8.SI",
]


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_file_written_and_read_again_is_the_same(
    corpus: Path, name: str, tmp_path: Path
) -> None:
    with SieReader(corpus / "sie" / name, on_error="collect") as reader:
        vouchers = reader.read()
        header = reader.header
    target = tmp_path / "again.se"
    report = write_sie(target, header, vouchers, kind=header.kind, checksum=True)
    assert report.vouchers == len(vouchers)
    target.read_bytes().decode("cp437")
    with SieReader(target, on_error="collect") as again:
        back = again.read()
    assert [strip_lines(v) for v in back] == [strip_lines(v) for v in vouchers]
    assert comparable_header(again.header) == comparable_header(header)
    assert again.encoding == "cp437"
    assert "checksum-mismatch" not in {d.code for d in again.diagnostics}


def test_an_import_file_for_any_program(tmp_path: Path) -> None:
    header = SieHeader(
        program="ledgerbridge",
        program_version="0.1",
        generated=date(2025, 2, 1),
        company_name="Demo AB",
        orgnr="556677-8899",
    )
    voucher = Voucher(
        "",
        "",
        date(2025, 1, 31),
        "Lagerförändring Göteborg",
        rows=[
            VoucherRow("TRANS", "1462", Decimal("1200.00")),
            VoucherRow("TRANS", "4960", Decimal("-1200.00"), (("1", "LAGER"),)),
        ],
    )
    path = tmp_path / "import.si"
    write_sie(path, header, [voucher], kind="4I", checksum=True)
    data = path.read_bytes()
    text = data.decode("cp437")
    assert '#VER "" "" 20250131 "Lagerförändring Göteborg"' in text
    assert "#RAR" not in text and text.count("#KSUMMA") == 2
    with SieReader(path, mode="strict") as reader:
        (back,) = reader.read()
        assert reader.diagnostics == [] and reader.header.kind == "4I"
    assert strip_lines(back) == strip_lines(voucher)


def test_characters_cp437_lacks_are_replaced_and_reported(tmp_path: Path) -> None:
    header = SieHeader(company_name="Café – “Ägarna” €uro AB", generated=date(2025, 1, 1))
    voucher = Voucher(
        "A",
        "1",
        date(2025, 1, 2),
        "Växel\tväg\\",
        rows=[
            VoucherRow("TRANS", "1930", Decimal("1")),
            VoucherRow("TRANS", "2081", Decimal("-1")),
        ],
    )
    report = write_sie(tmp_path / "x.si", header, [voucher], kind="4I")
    assert set(report.replaced) == {"–", "“", "”", "€", "\t", "\\"}
    assert report.replaced["€"] == ("EUR", 1)
    assert any("U+20AC" in line for line in report.describe_replacements())
    with SieReader(tmp_path / "x.si", mode="strict") as reader:
        (back,) = reader.read()
    assert reader.header.company_name == 'Café - "Ägarna" EURuro AB'
    assert back.text == "Växel väg/"


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    def vouchers():
        yield Voucher("A", "1", date(2025, 1, 2), "x", rows=[])
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError):
        write_sie(tmp_path / "y.se", SieHeader(company_name="x"), vouchers())
    assert list(tmp_path.iterdir()) == []


# -- property: any balanced books survive writer → reader ------------------------------------
# What accounting texts hold: ASCII and the Nordic letters. (A text of nothing but, say, Greek
# letters is ambiguous between CP437 and Latin-9 byte for byte; real Swedish files never are.)
CP437_TEXT = st.text(
    alphabet=st.sampled_from(
        [chr(c) for c in range(32, 127) if chr(c) != "\\"] + list("åäöÅÄÖéÉüÜæÆ½")
    ),
    max_size=20,
)
IDENT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=6)
AMOUNT = st.decimals(
    min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False
)
ACCOUNTS = st.sampled_from(["1510", "1930", "2440", "2611", "3001", "4010", "5010", "7210"])
OBJECTS = st.lists(
    st.tuples(st.sampled_from(["1", "6", "20"]), IDENT), max_size=2, unique_by=lambda o: o[0]
)


@st.composite
def vouchers(draw):
    amounts = draw(st.lists(AMOUNT, min_size=1, max_size=5))
    rows = [
        VoucherRow(
            "TRANS",
            draw(ACCOUNTS),
            a,
            tuple(draw(OBJECTS)),
            text=draw(st.none() | CP437_TEXT.filter(bool)),
        )
        for a in amounts
    ]
    rows.append(VoucherRow("TRANS", draw(ACCOUNTS), -sum(amounts, Decimal(0))))
    day = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 365)))
    return Voucher(draw(IDENT), "", day, draw(CP437_TEXT), rows=rows)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=CP437_TEXT.filter(lambda s: s.strip() == s and s),
    drawn=st.lists(vouchers(), min_size=1, max_size=8),
)
def test_property_writer_then_reader_gives_the_same_books(
    tmp_path: Path, name: str, drawn: list
) -> None:
    numbered = [replace(v, number=str(i)) for i, v in enumerate(drawn, start=1)]
    header = SieHeader(
        company_name=name,
        generated=date(2025, 1, 1),
        fiscal_years=[FiscalYear(0, date(2024, 1, 1), date(2024, 12, 31))],
        accounts={
            a: Account(a, f"Konto {a}")
            for a in ["1510", "1930", "2440", "2611", "3001", "4010", "5010", "7210"]
        },
        dimensions={
            "1": Dimension("1", "Resultatenhet"),
            "6": Dimension("6", "Projekt"),
            "20": Dimension("20", "Fri"),
        },
    )
    path = tmp_path / "property.se"
    write_sie(path, header, numbered, checksum=True)
    with SieReader(path, mode="strict", on_error="collect") as reader:
        back = reader.read()
    assert [d for d in reader.diagnostics if d.severity == "error"] == []
    assert reader.header.company_name == name
    assert [strip_lines(v) for v in back] == [strip_lines(v) for v in numbered]


def test_a_backslash_before_a_quote_is_replaced_so_the_file_stays_readable(tmp_path: Path) -> None:
    header = SieHeader(company_name='Citat \\"AB\\"', generated=date(2025, 1, 1))
    voucher = Voucher(
        "A", "1", date(2025, 1, 2), 'say \\"hi\\"', registered=date(2025, 1, 3),
        rows=[
            VoucherRow("TRANS", "1930", Decimal("1")),
            VoucherRow("TRANS", "2081", Decimal("-1")),
        ],
    )  # fmt: skip
    report = write_sie(tmp_path / "q.si", header, [voucher], kind="4I", checksum=True)
    assert report.replaced["\\"][1] == 4
    with SieReader(tmp_path / "q.si", mode="strict") as reader:
        (back,) = reader.read()
    assert reader.diagnostics == []
    assert back.text == 'say /"hi/"' and back.registered == date(2025, 1, 3)
