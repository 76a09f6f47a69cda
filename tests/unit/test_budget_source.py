"""The budget CSV reader: spreadsheet-saved files read right, every bad input refused with its
line and what was expected, and nothing of a refused file returned."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.sources.budget import (
    BudgetFileError,
    budget_file_rows,
    months_between,
    parse_amount,
    parse_period,
)
from ledgerbridge.config import Company

COMPANY = Company("acme", "Acme AB")


def read(tmp_path: Path, content: str | bytes, name: str = "budget_2024.csv") -> dict:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return budget_file_rows(path, "sha", COMPANY, name)


def refused(tmp_path: Path, content: str | bytes) -> BudgetFileError:
    with pytest.raises(BudgetFileError) as caught:
        read(tmp_path, content)
    return caught.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24000", Decimal("24000")),
        ("-1 234,50", Decimal("-1234.50")),
        ("1\u00a0234,5", Decimal("1234.5")),
        ("1234.50", Decimal("1234.50")),
        ("\u2212500", Decimal("-500")),
        ("+12", Decimal("12")),
        ("1,234", None),  # three decimals: a thousands separator or a typo, not öre
        ("12,3,4", None),
        ("ca 500", None),
        ("", None),
        ("1e3", None),
    ],
)
def test_amounts_as_spreadsheets_write_them(text: str, expected: Decimal | None) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2024-01", "2024-01"), ("202412", "2024-12"), (" 2024-07 ", "2024-07"),
     ("2024-13", None), ("2024/01", None), ("jan 2024", None), ("2024-1", None),
     ("2024-01-01", None)],
)  # fmt: skip
def test_periods_are_months(text: str, expected: str | None) -> None:
    assert parse_period(text) == expected


def test_months_between_crosses_the_year() -> None:
    assert months_between("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]


def test_a_swedish_spreadsheet_file_is_read_right(tmp_path: Path) -> None:
    content = (
        "Period;Konto;Resultatenhet;Projekt;Belopp\r\n"
        "2024-01;3001;SALJ;;-23 300,00\r\n"
        "2024-01;5010;Ädm;;24 000\r\n"
        "2024-03;3041;KONS;P101;-125 000,50\r\n"
        ";;;;\r\n"
    ).encode("cp1252")
    rows = read(tmp_path, content)
    entries = [
        (e["period"], e["account_number"], e["cost_centre"], e["project"], e["amount"],
         e["source_line"])
        for e in rows["entries"]
    ]  # fmt: skip
    assert entries == [
        ("2024-01", "3001", "SALJ", "", Decimal("-23300.00"), 2),
        ("2024-01", "5010", "Ädm", "", Decimal("24000"), 3),
        ("2024-03", "3041", "KONS", "P101", Decimal("-125000.50"), 4),
    ]
    (file,) = rows["files"]
    assert (file["first_period"], file["last_period"], file["entries"]) == ("2024-01", "2024-03", 3)
    assert file["total_amount"] == Decimal("-124300.50")
    assert (file["delimiter"], file["encoding"]) == (";", "cp1252")
    # the file holds every month from its first to its last, the empty February included
    assert [p["period"] for p in rows["periods"]] == ["2024-01", "2024-02", "2024-03"]


def test_comma_separated_english_utf8_with_bom_and_optional_columns(tmp_path: Path) -> None:
    rows = read(tmp_path, "\ufeffAmount,Account,Period\n1234.50,6110,202402\n")
    (entry,) = rows["entries"]
    assert (entry["period"], entry["account_number"], entry["cost_centre"], entry["project"]) == (
        "2024-02", "6110", "", ""
    )  # fmt: skip
    assert entry["amount"] == Decimal("1234.50")


def test_excel_sep_line_names_the_separator(tmp_path: Path) -> None:
    rows = read(tmp_path, "sep=;\nperiod;account;amount\n2024-05;6110;1,5\n")
    assert rows["entries"][0]["amount"] == Decimal("1.5")
    assert rows["entries"][0]["source_line"] == 3


def test_a_wrong_column_is_named(tmp_path: Path) -> None:
    error = refused(tmp_path, "period;account;kostnad;amount\n2024-01;5010;ADM;100\n")
    assert "budget_2024.csv line 1" in str(error)
    assert "unknown column 'kostnad'" in str(error)
    assert "period, account, cost_centre, project, amount" in str(error)


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    error = refused(tmp_path, "period;account;cost_centre\n2024-01;5010;ADM\n")
    assert "no amount column" in str(error)


def test_a_bad_amount_names_line_and_expectation(tmp_path: Path) -> None:
    error = refused(tmp_path, "period;account;amount\n2024-01;5010;100\n2024-02;5010;ca 100\n")
    assert str(error).startswith("budget_2024.csv line 3: amount 'ca 100' is not an amount")
    assert "at most two decimals" in str(error)
    assert error.hint and "nothing of it was loaded" in error.hint


def test_an_unknown_period_format_names_line_and_expectation(tmp_path: Path) -> None:
    error = refused(tmp_path, "period;account;amount\n01/2024;5010;100\n")
    assert "budget_2024.csv line 2: period '01/2024' is not a month; expected YYYY-MM" in str(error)


@pytest.mark.parametrize("content", ["", "\r\n  \r\n"])
def test_an_empty_file_is_refused(tmp_path: Path, content: str) -> None:
    error = refused(tmp_path, content)
    assert "budget_2024.csv: is empty; expected a header line" in str(error)


def test_a_header_without_lines_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, "period;account;amount\n")
    assert "holds a header but no budget lines" in str(error)


def test_duplicate_rows_name_both_lines(tmp_path: Path) -> None:
    error = refused(
        tmp_path,
        "period;account;cost_centre;project;amount\n"
        "2024-01;5010;ADM;;100\n2024-01;6110;ADM;;5\n2024-01;5010;ADM;;200\n",
    )
    assert "budget_2024.csv line 4: repeats line 2" in str(error)
    assert "period 2024-01, account 5010, cost centre ADM, project (none)" in str(error)


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    error = refused(
        tmp_path, "period;account;amount\n2024-13;5010;1\n2024-01;50X0;1\n2024-01;5010;1,234\n"
    )
    assert [d.line for d in error.diagnostics] == [2, 3, 4]
    assert "(and 2 more problems)" in str(error)
    assert "account '50X0' is not an account number" in error.diagnostics[1].message


def test_a_value_holding_the_separator_must_be_quoted(tmp_path: Path) -> None:
    error = refused(tmp_path, "period,account,amount\n2024-01,5010,1,5\n")
    assert "line 2: has 4 fields, the header 3" in str(error)
    rows = read(tmp_path, 'period,account,amount\n2024-01,5010,"1,5"\n')
    assert rows["entries"][0]["amount"] == Decimal("1.5")


def test_the_budget_folder_is_a_source_of_its_own(tmp_path: Path) -> None:
    from ledgerbridge.config import parse_settings
    from ledgerbridge.errors import ConfigError

    config = tmp_path / "ledgerbridge.toml"
    settings = parse_settings(
        {"companies": {"acme": {"name": "Acme AB", "sources": {"budget": {"folder": "b"}}}}},
        config,
    )
    assert settings.company("acme").budget.folder == tmp_path / "b"
    with pytest.raises(ConfigError, match=r"sources.bank and sources.budget both read"):
        parse_settings(
            {
                "companies": {
                    "acme": {
                        "name": "Acme AB",
                        "sources": {"bank": {"folder": "b"}, "budget": {"folder": "b"}},
                    }
                }
            },
            config,
        )
