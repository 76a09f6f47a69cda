"""The minimal SIE reader on the real corpus files and on damaged copies of them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.errors import InvalidInputError
from ledgerbridge.formats.sie import (
    FiscalYear,
    SieError,
    SieHeader,
    SieReader,
    Voucher,
    VoucherRow,
    encode,
    format_header,
    format_voucher,
)


def read_all(path: Path) -> tuple[SieReader, list[Voucher]]:
    with SieReader(path) as reader:
        return reader, list(reader.vouchers())


def test_sie_gruppen_sample_counts_and_dimensions(corpus: Path) -> None:
    reader, vouchers = read_all(corpus / "sie" / "01_SIE4_Exempelfil_sie-gruppen_2024.SE")
    assert reader.encoding == "cp437"
    assert reader.header.company_name == "Övningsbolaget AB"
    assert len(vouchers) == 295
    assert sum(len(v.rows) for v in vouchers) == 1330
    assert reader.header.dimensions["1"] == "Resultatenhet"
    assert reader.header.dimensions["6"] == "Projekt"
    # object ids are strings: the leading zeros of project 0001 survive
    objects = {obj for v in vouchers for r in v.rows for obj in r.objects}
    assert ("6", "0001") in objects
    assert ("1", "Nord") in objects


def test_sample_ledger_ties_ib_plus_trans_to_ub(corpus: Path) -> None:
    reader, vouchers = read_all(corpus / "sie" / "01_SIE4_Exempelfil_sie-gruppen_2024.SE")
    booked: dict[str, Decimal] = {}
    for voucher in vouchers:
        for row in voucher.rows:
            booked[row.account] = booked.get(row.account, Decimal(0)) + row.amount
    opening = {
        b.account: b.amount for b in reader.header.balances if b.kind == "IB" and b.year == 0
    }
    closing = {
        b.account: b.amount for b in reader.header.balances if b.kind == "UB" and b.year == 0
    }
    assert closing
    for account, ub in closing.items():
        assert opening.get(account, Decimal(0)) + booked.get(account, Decimal(0)) == ub, account


def test_broken_fiscal_year_and_row_kinds(corpus: Path) -> None:
    reader, vouchers = read_all(corpus / "sie" / "04_BL0001_typ4_rtrans_btrans.SE")
    assert reader.header.fiscal_year(0) == FiscalYear(0, date(2009, 7, 1), date(2010, 6, 30))
    kinds = {r.kind for v in vouchers for r in v.rows}
    assert kinds == {"TRANS", "RTRANS", "BTRANS"}
    # only #TRANS rows count: every voucher balances on them alone
    assert all(v.imbalance() == 0 for v in vouchers)


@pytest.mark.parametrize(
    ("name", "encoding", "company"),
    [
        ("11_blblov_typ4I_iso8859-15.SI", "iso-8859-15", "Övningsbolaget AB"),
        (
            "12_sie4sdk_typ4I_underdim_escapes_utf8.SI",
            "utf-8",
            "Målerifirman Axelsson & Johnsson AB",
        ),
        ("08_kontek_lon_typ4I_dims.SI", "cp437", "Demoföretaget AB"),
    ],
)
def test_encoding_is_detected_from_the_bytes(
    corpus: Path, name: str, encoding: str, company: str
) -> None:
    reader, vouchers = read_all(corpus / "sie" / name)
    assert reader.header.format == "PC8"  # what the files claim, and not what they are
    assert reader.encoding == encoding
    assert reader.header.company_name == company
    assert vouchers


def test_escaped_quotes_in_texts(corpus: Path) -> None:
    _, vouchers = read_all(corpus / "sie" / "12_sie4sdk_typ4I_underdim_escapes_utf8.SI")
    texts = [v.text for v in vouchers] + [r.text or "" for v in vouchers for r in v.rows]
    assert any('"' in t for t in texts)


def test_unbalanced_voucher_is_reported_in_a_bookkeepers_words(corpus: Path) -> None:
    with pytest.raises(SieError) as caught:
        read_all(corpus / "sie" / "14_barsoom_unknown_label_momskod.se")
    diagnostic = caught.value.diagnostic
    assert diagnostic.code == "unbalanced-voucher"
    assert diagnostic.line == 22
    assert "voucher A 1 on 2013-01-01 does not balance: off by -40.00" in str(caught.value)


def test_truncated_file_is_an_error_naming_the_voucher(corpus: Path, tmp_path: Path) -> None:
    data = (corpus / "sie" / "01_SIE4_Exempelfil_sie-gruppen_2024.SE").read_bytes()
    cut = data.index(b"#TRANS", len(data) // 2) + 10
    damaged = tmp_path / "truncated.se"
    damaged.write_bytes(data[:cut])
    with pytest.raises(SieError) as caught:
        read_all(damaged)
    assert caught.value.diagnostic.code in ("truncated", "bad-amount", "missing-field")
    assert "truncated.se:" in str(caught.value)


def test_file_cut_inside_a_voucher_block_says_truncated(corpus: Path, tmp_path: Path) -> None:
    data = (corpus / "sie" / "01_SIE4_Exempelfil_sie-gruppen_2024.SE").read_bytes()
    cut = data.index(b"\r\n", data.index(b"#TRANS", len(data) // 2)) + 2
    damaged = tmp_path / "truncated.se"
    damaged.write_bytes(data[:cut])
    with pytest.raises(SieError) as caught:
        read_all(damaged)
    assert caught.value.diagnostic.code == "truncated"
    assert "is not closed" in str(caught.value) and "truncated" in str(caught.value)


def test_lossy_reencoding_is_refused(corpus: Path, tmp_path: Path) -> None:
    text = (corpus / "sie" / "01_SIE4_Exempelfil_sie-gruppen_2024.SE").read_bytes().decode("cp437")
    damaged = tmp_path / "lossy.se"
    damaged.write_bytes(text.replace("Ö", "\ufffd").encode("utf-8"))
    with pytest.raises(SieError) as caught:
        SieReader(damaged)
    assert caught.value.diagnostic.code == "lossy-encoding"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("#TRANS 1930 {} 12,50", "bad-amount"),
        ("#TRANS 1930 {} 100.00 2024131", "bad-date"),
        ('#TRANS 1930 {1 "Nord} 100.00', "unterminated-text"),
        ("#TRANS 1930 {1} 100.00", "bad-objects"),
    ],
)
def test_damaged_rows_have_their_own_codes(tmp_path: Path, line: str, code: str) -> None:
    path = tmp_path / "bad.se"
    path.write_text(
        "#FLAGGA 0\n#SIETYP 4\n#RAR 0 20240101 20241231\n"
        f'#VER A 1 20240105 "x"\n{{\n{line}\n#TRANS 3001 {{}} -100.00\n}}\n',
        encoding="cp437",
    )
    with pytest.raises(SieError) as caught:
        read_all(path)
    assert caught.value.diagnostic.code == code
    assert caught.value.diagnostic.line == 6


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no such file"):
        SieReader(tmp_path / "nope.se")


def test_what_we_write_reads_back_the_same(tmp_path: Path) -> None:
    header = SieHeader(
        program="test",
        company_name='Räksmörgås "Special" AB',
        orgnr="556677-8899",
        fiscal_years=[FiscalYear(0, date(2024, 7, 1), date(2025, 6, 30))],
        accounts={"1930": "Företagskonto", "3001": "Försäljning 25 %"},
        dimensions={"1": "Resultatenhet"},
        objects=[("1", "0001", "Norr")],
    )
    vouchers = [
        Voucher(
            "B",
            "7",
            date(2024, 8, 2),
            'Faktura "12" åäö',
            rows=[
                VoucherRow("TRANS", "1930", Decimal("125.00")),
                VoucherRow("TRANS", "3001", Decimal("-125.00"), (("1", "0001"),)),
            ],
        )
    ]
    path = tmp_path / "roundtrip.se"
    path.write_bytes(
        encode(format_header(header)) + b"".join(encode(format_voucher(v)) for v in vouchers)
    )
    path.read_bytes().decode("cp437")  # only CP437 bytes
    reader, read = read_all(path)
    assert reader.header.company_name == header.company_name
    assert reader.header.accounts == header.accounts
    assert reader.header.fiscal_years == header.fiscal_years
    assert [(v.series, v.number, v.date, v.text) for v in read] == [
        (v.series, v.number, v.date, v.text) for v in vouchers
    ]
    assert [(r.account, r.amount, r.objects) for r in read[0].rows] == [
        (r.account, r.amount, r.objects) for r in vouchers[0].rows
    ]


def test_file_cut_between_two_vouchers_is_caught_by_its_own_balances(
    corpus: Path, tmp_path: Path
) -> None:
    data = (corpus / "sie" / "01_SIE4_Exempelfil_sie-gruppen_2024.SE").read_bytes()
    cut = data.index(b"}\r\n", len(data) // 2) + 3  # a clean cut right after a voucher
    damaged = tmp_path / "cut.se"
    damaged.write_bytes(data[:cut])
    with pytest.raises(SieError) as caught:
        read_all(damaged)
    assert caught.value.diagnostic.code == "balances-disagree"
    assert "truncated" in str(caught.value) and "the file says" in str(caught.value)


def test_half_written_last_line_is_not_a_label(corpus: Path, tmp_path: Path) -> None:
    data = (corpus / "sie" / "01_SIE4_Exempelfil_sie-gruppen_2024.SE").read_bytes()
    cut = data.index(b"}\r\n", len(data) // 2) + 4
    damaged = tmp_path / "cut.se"
    damaged.write_bytes(data[:cut])
    with pytest.raises(SieError) as caught:
        read_all(damaged)
    assert caught.value.diagnostic.code == "bad-label"
