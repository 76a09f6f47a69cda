"""Exports read through a declared mapping: CSV, JSON and XML, and what a wrong mapping or
a wrong value says."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.formats.mapping import MappingError, load_mapping, read_mapped

CUSTOMERS_CSV = """\
system: crm
entity: customers
files: "kunder*.csv"
format: csv
csv: {delimiter: ";", encoding: cp1252}
fields:
  customer_number: Kundnr
  name: Namn
  orgnr: Orgnr
  payment_terms_days: {from: Betalvillkor, type: integer}
"""


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(textwrap.dedent(text).encode(encoding))
    return path


def mapping_of(folder: Path, text: str):
    return load_mapping(write(folder, "x.mapping.yaml", text), "x.mapping.yaml")


def test_a_swedish_spreadsheet_csv_reads_with_its_encoding_and_types(tmp_path: Path) -> None:
    mapping = mapping_of(tmp_path, CUSTOMERS_CSV)
    data = write(
        tmp_path,
        "kunder.csv",
        "Kundnr;Namn;Orgnr;Betalvillkor\r\n1001;Göta Media AB;556123-4567;30\r\n"
        "1002;Åkeri Öst AB;;\r\n",
        "cp1252",
    )
    assert mapping.matches(data) and not mapping.matches(tmp_path / "x.mapping.yaml")
    records = read_mapped(mapping, data, "kunder.csv").records
    assert records == [
        {"source_line": 2, "customer_number": "1001", "name": "Göta Media AB",
         "orgnr": "556123-4567", "payment_terms_days": 30},
        {"source_line": 3, "customer_number": "1002", "name": "Åkeri Öst AB", "orgnr": None,
         "payment_terms_days": None},
    ]  # fmt: skip


def test_json_and_xml_exports_read_through_key_and_element_paths(tmp_path: Path) -> None:
    json_mapping = mapping_of(
        tmp_path,
        """\
        system: pos
        entity: invoices
        files: "*.json"
        format: json
        json: {records: data.fakturor}
        date_format: "%d.%m.%Y"
        decimal_comma: true
        fields:
          invoice_number: nr
          kind: typ
          party_number: kund.nr
          invoice_date: datum
          total_amount: summa
        """,
    )
    data = write(
        tmp_path,
        "f.json",
        '{"data": {"fakturor": [{"nr": "7", "typ": "customer", "kund": {"nr": "1001"}, '
        '"datum": "03.02.2025", "summa": "1 234,50"}]}}',
    )
    (record,) = read_mapped(json_mapping, data, "f.json").records
    assert record["party_number"] == "1001" and record["invoice_date"] == date(2025, 2, 3)
    assert record["total_amount"] == Decimal("1234.50")

    xml_mapping = mapping_of(
        tmp_path,
        """\
        system: wms
        entity: articles
        files: "*.xml"
        format: xml
        xml: {records: "//Artikel"}
        fields:
          article_number: "@nr"
          name: Namn
          sales_price: {from: Pris, type: money}
        """,
    )
    data = write(
        tmp_path,
        "a.xml",
        '<Lista><Artikel nr="A1"><Namn>Stol</Namn><Pris>2490.00</Pris></Artikel>\n'
        '<Artikel nr="A2"><Namn>Bord</Namn><Pris>5490</Pris></Artikel></Lista>',
    )
    records = read_mapped(xml_mapping, data, "a.xml").records
    assert [(r["article_number"], r["sales_price"], r["source_line"]) for r in records] == [
        ("A1", Decimal("2490.00"), 1),
        ("A2", Decimal("5490.00"), 2),
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("entity: customers", "entity: kunder"), "'entity' is 'kunder'; expected one of"),
        (("  name: Namn\n", "  namn: Namn\n"), "'namn' is not a field of customers"),
        (("  customer_number: Kundnr\n", ""), "fields.customer_number is missing"),
        (
            ("type: integer", "type: date"),
            "type 'date', but customers.payment_terms_days is integer",
        ),
        (("format: csv", "format: xlsx"), "'format' is 'xlsx'"),
        (("system: crm", "system: CRM System"), "'system' must name"),
        (("fields:", "felt: 1\nfields:"), "unknown key 'felt'"),
        (("csv: {", "csv: {{"), "not valid YAML"),
    ],
)
def test_a_wrong_mapping_says_what_is_wrong(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    assert change[0] in CUSTOMERS_CSV
    with pytest.raises(MappingError) as caught:
        mapping_of(tmp_path, CUSTOMERS_CSV.replace(*change, 1))
    assert any(expected in d.message for d in caught.value.diagnostics), caught.value.diagnostics
    assert "x.mapping.yaml" in str(caught.value)


@pytest.mark.parametrize(
    ("rows", "code", "expected"),
    [
        (
            "1001;Göta;;trettio",
            "bad-value",
            "payment_terms_days ('Betalvillkor') is 'trettio'; expected a whole number",
        ),
        (";Göta;;30", "missing-value", "customer_number ('Kundnr') is empty"),
        ("1001;Göta;;30\r\n1001;Göta igen;;30", "duplicate-record", "1001 is given twice"),
        ("1001;Göta;5561;23-4567;30", "bad-row", "has 5 fields, the header 4: a ';' in a value"),
        ("1001;Göta;30", "bad-row", "has 3 fields, the header 4"),
    ],
)
def test_a_wrong_value_is_named_with_its_line_and_field(
    tmp_path: Path, rows: str, code: str, expected: str
) -> None:
    mapping = mapping_of(tmp_path, CUSTOMERS_CSV)
    data = write(tmp_path, "kunder.csv", f"Kundnr;Namn;Orgnr;Betalvillkor\r\n{rows}\r\n", "cp1252")
    with pytest.raises(MappingError) as caught:
        read_mapped(mapping, data, "kunder.csv")
    (first, *_) = caught.value.diagnostics
    assert first.code == code and expected in first.message and first.line in (2, 3)
    assert f"kunder.csv:{first.line}" in str(caught.value)


def test_a_file_without_a_mapped_column_or_in_another_encoding_is_refused(tmp_path: Path) -> None:
    mapping = mapping_of(tmp_path, CUSTOMERS_CSV)
    data = write(tmp_path, "kunder.csv", "Kundnr;Namn;Betalvillkor\r\n1001;A;30\r\n")
    with pytest.raises(MappingError, match="has no column 'Orgnr' \\(its header: Kundnr, Namn"):
        read_mapped(mapping, data, "kunder.csv")
    utf8 = mapping_of(tmp_path, CUSTOMERS_CSV.replace("cp1252", "utf-8"))
    latin = write(
        tmp_path, "kunder.csv", "Kundnr;Namn;Orgnr;Betalvillkor\r\n1;Göta;;1\r\n", "cp1252"
    )
    with pytest.raises(MappingError, match="is not utf-8 text"):
        read_mapped(utf8, latin, "kunder.csv")


def test_voucher_rows_must_balance_per_voucher(tmp_path: Path) -> None:
    mapping = mapping_of(
        tmp_path,
        """\
        system: payroll
        entity: vouchers
        files: "lon*.csv"
        format: csv
        decimal_comma: true
        csv: {delimiter: ";"}
        fields:
          series: Serie
          voucher_number: Nr
          voucher_date: Datum
          account_number: Konto
          amount: Belopp
        """,
    )
    data = write(
        tmp_path,
        "lon.csv",
        "Serie;Nr;Datum;Konto;Belopp\r\nL;1;2025-01-25;7210;45 000,00\r\n"
        "L;1;2025-01-25;1930;-44 000,00\r\n",
    )
    with pytest.raises(MappingError, match=r"voucher L 1: its rows sum to 1000\.00, not zero"):
        read_mapped(mapping, data, "lon.csv")
