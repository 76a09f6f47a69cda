"""The SIE reader on the real corpus files: what the corpus README says each one exercises."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.errors import InvalidInputError
from ledgerbridge.formats.sie import FiscalYear, SieError, SieReader, Voucher

SIE = "sie"


def read(path: Path, **options) -> tuple[SieReader, list[Voucher]]:
    with SieReader(path, on_error="collect", **options) as reader:
        return reader, reader.read()


def codes(reader: SieReader) -> set[str]:
    return {d.code for d in reader.diagnostics}


def test_sie_gruppen_sample(corpus: Path) -> None:
    reader, vouchers = read(corpus / SIE / "01_SIE4_Exempelfil_sie-gruppen_2024.SE")
    h = reader.header
    assert reader.encoding == "cp437" and h.kind == "4E" and h.flag == 1
    assert h.company_name == "Övningsbolaget AB" and h.orgnr == "555555-5555"
    assert h.address == ("Siw Eriksson", "Box 1", "123 45 STORSTAD", "012-34 56 78")
    # backslashes inside a quoted path stay as they are
    assert h.company_number.startswith("C:\\ProgramData\\SPCS\\SPCS Administration\\")
    assert h.company_number.endswith("\\Ovnbol2000")
    assert len(vouchers) == 295 and sum(len(v.rows) for v in vouchers) == 1330
    assert h.dimensions["1"].name == "Resultatenhet" and h.dimensions["6"].name == "Projekt"
    assert h.accounts["1510"].account_type == "T" and h.accounts["1510"].sru
    objects = {obj for v in vouchers for r in v.rows for obj in r.objects}
    assert ("6", "0001") in objects and ("1", "Nord") in objects  # ids are strings
    assert any(len(r.objects) == 2 for v in vouchers for r in v.rows)  # {1 Nord 6 0001}
    assert not reader.errors and codes(reader) == {"already-imported"}


@pytest.mark.parametrize(
    "name", ["01_SIE4_Exempelfil_sie-gruppen_2024.SE", "04_BL0001_typ4_rtrans_btrans.SE"]
)
def test_complete_exports_tie_to_their_balances(corpus: Path, name: str) -> None:
    reader, vouchers = read(corpus / SIE / name)
    booked: dict[str, Decimal] = {}
    for voucher in vouchers:
        for row in voucher.rows:
            if row.kind == "TRANS":
                booked[row.account] = booked.get(row.account, Decimal(0)) + row.amount
    h = reader.header
    ib = {b.account: b.amount for b in h.balances if b.kind == "IB" and b.year == 0}
    ub = {b.account: b.amount for b in h.balances if b.kind == "UB" and b.year == 0}
    res = {b.account: b.amount for b in h.balances if b.kind == "RES" and b.year == 0}
    assert ub and res
    for account in set(ub) | {a for a in booked if a[0] in "12"}:
        assert ib.get(account, 0) + booked.get(account, 0) == ub.get(account, 0), account
    for account in set(res) | {a for a in booked if a[0] not in "12"}:
        assert booked.get(account, 0) == res.get(account, 0), account


def test_broken_year_corrections_and_budgets(corpus: Path) -> None:
    reader, vouchers = read(corpus / SIE / "04_BL0001_typ4_rtrans_btrans.SE")
    h = reader.header
    assert h.fiscal_year(0) == FiscalYear(0, date(2009, 7, 1), date(2010, 6, 30))
    assert h.fiscal_year(-1) == FiscalYear(-1, date(2008, 7, 1), date(2009, 6, 30))
    rows = [r for v in vouchers for r in v.rows]
    assert {r.kind for r in rows} == {"TRANS", "RTRANS", "BTRANS"}
    assert all(v.imbalance() == 0 for v in vouchers)  # on #TRANS alone
    struck = next(v for v in vouchers if v.series == "A" and v.number == "8")
    assert all(r.amount == 0 for r in struck.rows if r.kind == "TRANS")  # a fully struck voucher
    assert {b.kind for b in h.balances} >= {"IB", "UB", "RES", "OIB", "OUB"}
    assert any(p.kind == "PBUDGET" for p in h.period_balances)
    # quoted dimension numbers with a leading blank: { "1" "1100" "6" "1118"}
    assert ("1", "1100") in {o for r in rows for o in r.objects}
    assert any(v.registered is None for v in vouchers)  # the "" placeholder
    assert {d.code for d in reader.errors} == set()


def test_payroll_import_file(corpus: Path) -> None:
    reader, vouchers = read(corpus / SIE / "08_kontek_lon_typ4I_dims.SI")
    assert reader.header.kind == "4I" and not reader.header.fiscal_years
    (voucher,) = vouchers
    assert voucher.series == "" and voucher.number == ""  # the receiver numbers it
    assert reader.header.dimensions["20"].name == "Nivå 4"
    three = [r for r in voucher.rows if len(r.objects) == 3]
    assert three and three[0].object_id("20") == "1234567890"
    assert any(r.quantity == Decimal("160.00") for r in voucher.rows)
    assert not reader.diagnostics


@pytest.mark.parametrize(
    ("name", "encoding", "company"),
    [
        ("11_blblov_typ4I_iso8859-15.SI", "iso-8859-15", "Övningsbolaget AB"),
        (
            "12_sie4sdk_typ4I_underdim_escapes_utf8.SI",
            "utf-8",
            "Målerifirman Axelsson & Johnsson AB",
        ),
    ],
)
def test_encoding_comes_from_the_bytes_and_a_wrong_format_is_reported(
    corpus: Path, name: str, encoding: str, company: str
) -> None:
    reader, vouchers = read(corpus / SIE / name)
    assert reader.header.format == "PC8"
    assert reader.encoding == encoding and reader.header.company_name == company
    assert codes(reader) == {"encoding-mismatch"} and not reader.errors and vouchers
    strict, _ = read(corpus / SIE / name, mode="strict")
    assert [d.code for d in strict.errors] == ["encoding-mismatch"]


def test_underdimensions_escapes_and_transaction_details(corpus: Path) -> None:
    reader, vouchers = read(corpus / SIE / "12_sie4sdk_typ4I_underdim_escapes_utf8.SI")
    assert reader.header.dimensions["21"].parent == "1"
    assert reader.header.accounts["4950"].unit == "st"
    texts = [v.text for v in vouchers] + [r.text or "" for v in vouchers for r in v.rows]
    assert any('"' in t for t in texts)
    assert any(r.date and r.text and r.quantity is not None for v in vouchers for r in v.rows)


def test_unknown_label_is_listed_and_the_unbalanced_voucher_reported(corpus: Path) -> None:
    reader, _ = read(corpus / SIE / "14_barsoom_unknown_label_momskod.se")
    assert reader.header.unknown_labels == {"#MOMSKOD": 1}
    (error,) = reader.errors
    assert error.code == "unbalanced-voucher" and error.line == 22
    assert str(error).endswith("voucher A 1 on 2013-01-01 does not balance: off by -40.00")
    with (
        pytest.raises(SieError) as caught,
        SieReader(corpus / SIE / "14_barsoom_unknown_label_momskod.se") as r,
    ):
        r.read()
    assert caught.value.diagnostic.code == "unbalanced-voucher"


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no such file"):
        SieReader(tmp_path / "nope.se")
    with pytest.raises(InvalidInputError, match="is a folder"):
        SieReader(tmp_path)
