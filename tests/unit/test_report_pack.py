"""The month-end report pack's calendar: which month has closed by a given day in Stockholm,
which packs a schedule still owes, how packs are found, and what a month may be written as;
and a pack from a snapshot that has the books but no ERP marts."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from ledgerbridge.config import Paths
from ledgerbridge.errors import NotReadyError
from ledgerbridge.report_pack import (
    STOCKHOLM,
    BadMonthError,
    MonthNotInBooksError,
    UnknownCompanyError,
    due_report_packs,
    last_closed_month,
    list_report_packs,
    parse_month,
    report_pack_path,
    write_report_pack,
)


def _months(first: date, count: int) -> list[date]:
    return [date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
            for i in range(count)]  # fmt: skip


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    """A snapshot with two companies: calendar_ab (calendar year 2025) and broken_ab
    (fiscal year July 2024 – June 2025), the books and a little of an income statement."""
    paths = Paths(tmp_path / "home").ensure()
    con = duckdb.connect(str(paths.serving))
    try:
        con.execute(
            "create table dim_company (company_id varchar, company_name varchar, orgnr varchar, "
            "currency_code varchar, books_locked_until date)"
        )
        con.execute(
            "insert into dim_company values ('calendar_ab', 'Kalender AB', '556000-0001', "
            "'SEK', null), ('broken_ab', 'Brutet AB', '556000-0002', 'SEK', '2024-12-31')"
        )
        con.execute(
            "create table dim_fiscal_period (company_id varchar, period_start date, "
            "period_end date, fiscal_year_start date, fiscal_year varchar, "
            "fiscal_period_number integer, periods_in_year bigint)"
        )
        for company, first, label in (
            ("calendar_ab", date(2025, 1, 1), "2025"),
            ("broken_ab", date(2024, 7, 1), "2024/25"),
        ):
            for number, start in enumerate(_months(first, 12), start=1):
                con.execute(
                    "insert into dim_fiscal_period values (?, ?, last_day(?::date), ?, ?, ?, 12)",
                    [company, start, start, first, label, number],
                )
        con.execute(
            "create table dim_account (company_id varchar, account_number varchar, "
            "account_name varchar, statement varchar, report_section varchar, "
            "report_line varchar, report_line_ordinal integer, is_result_transfer boolean)"
        )
        con.execute(
            "insert into dim_account values "
            "('calendar_ab', '3001', 'Försäljning', 'income_statement', 'operating_income', "
            "'Nettoomsättning', 310, false), "
            "('calendar_ab', '5010', 'Lokalhyra', 'income_statement', 'operating_expenses', "
            "'Övriga externa kostnader', 510, false)"
        )
        con.execute(
            "create table rpt_income_statement (company_id varchar, period_start date, "
            "account_number varchar, report_amount decimal(18,2))"
        )
        con.execute(
            "insert into rpt_income_statement values "
            "('calendar_ab', '2025-02-01', '3001', 1000.10), "
            "('calendar_ab', '2025-03-01', '3001', 2000.20), "
            "('calendar_ab', '2025-03-01', '5010', -500.05)"
        )
        con.execute(
            "create table _ledgerbridge_publish as "
            "select '2025-04-02 05:00:00+00'::timestamptz as published_at, '{}' as tables"
        )
    finally:
        con.close()
    return paths


def _pack(paths: Paths, company: str, month: str, written: datetime) -> Path:
    """A pack file as if written at ``written`` (its content does not matter here)."""
    path = report_pack_path(paths, company, month)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    os.utime(path, (written.timestamp(), written.timestamp()))
    return path


def test_a_month_has_closed_once_its_last_day_is_over_in_stockholm(paths: Paths) -> None:
    assert last_closed_month(paths, "calendar_ab", date(2025, 3, 31)) == date(2025, 2, 1)
    assert last_closed_month(paths, "calendar_ab", date(2025, 4, 1)) == date(2025, 3, 1)
    # a broken year: the months of July 2024 to June 2025
    assert last_closed_month(paths, "broken_ab", date(2025, 1, 15)) == date(2024, 12, 1)
    # before the books begin nothing has closed; long after they end, their last month
    assert last_closed_month(paths, "calendar_ab", date(2025, 1, 31)) is None
    assert last_closed_month(paths, "calendar_ab", date(2027, 6, 1)) == date(2025, 12, 1)
    assert last_closed_month(paths, "broken_ab", date(2027, 6, 1)) == date(2025, 6, 1)


def test_a_schedule_owes_the_last_closed_month_then_each_month_since(paths: Paths) -> None:
    # nothing written yet: only the last closed month of each company, not the whole history
    assert due_report_packs(paths, date(2025, 4, 3)) == [
        ("broken_ab", date(2025, 3, 1)),
        ("calendar_ab", date(2025, 3, 1)),
    ]
    written = datetime(2025, 4, 3, 6, tzinfo=STOCKHOLM)
    _pack(paths, "broken_ab", "2025-03", written)
    _pack(paths, "calendar_ab", "2025-03", written)
    assert due_report_packs(paths, date(2025, 4, 20)) == []
    # the scheduler was down for two months: both are owed, once
    assert due_report_packs(paths, date(2025, 6, 3)) == [
        ("broken_ab", date(2025, 4, 1)),
        ("broken_ab", date(2025, 5, 1)),
        ("calendar_ab", date(2025, 4, 1)),
        ("calendar_ab", date(2025, 5, 1)),
    ]
    # after the broken year's books end (June 2025) that company owes nothing more
    _pack(paths, "broken_ab", "2025-06", datetime(2025, 7, 2, tzinfo=STOCKHOLM))
    assert [d for d in due_report_packs(paths, date(2025, 9, 3)) if d[0] == "broken_ab"] == []


def test_a_pack_written_before_its_month_ended_does_not_count(paths: Paths) -> None:
    _pack(paths, "calendar_ab", "2025-03", datetime(2025, 4, 3, tzinfo=STOCKHOLM))
    # written on demand on 31 May at 23:30 Stockholm time (21:30 UTC): May had not ended
    _pack(paths, "calendar_ab", "2025-05", datetime(2025, 5, 31, 21, 30, tzinfo=UTC))
    due = [month for company, month in due_report_packs(paths, date(2025, 6, 2))
           if company == "calendar_ab"]  # fmt: skip
    assert due == [date(2025, 4, 1), date(2025, 5, 1)]


def test_packs_are_listed_newest_first_and_nothing_else_is(paths: Paths) -> None:
    written = datetime(2025, 6, 1, tzinfo=UTC)
    older = _pack(paths, "calendar_ab", "2025-02", written)
    newer = _pack(paths, "calendar_ab", "2025-03", written)
    folder = paths.reports / "calendar_ab"
    (folder / ".manadsrapport_calendar_ab_2025-04.abc.tmp").write_bytes(b"")  # half-written
    (folder / "manadsrapport_calendar_ab_2025-13.xlsx").write_bytes(b"")
    (folder / "notes.xlsx").write_bytes(b"")
    assert list_report_packs(paths, "calendar_ab") == [
        (date(2025, 3, 1), newer),
        (date(2025, 2, 1), older),
    ]
    assert list_report_packs(paths, "broken_ab") == []


@pytest.mark.parametrize(
    ("given", "month"),
    [("2025-03", date(2025, 3, 1)), (" 2025-12 ", date(2025, 12, 1)),
     (date(2025, 3, 17), date(2025, 3, 1)), (date(2025, 3, 1), date(2025, 3, 1))],
)  # fmt: skip
def test_a_month_is_yyyy_mm_or_a_date_in_it(given: str | date, month: date) -> None:
    assert parse_month(given) == month


@pytest.mark.parametrize("given", ["2025-13", "2025-00", "2025-3", "march", "2025/03", ""])
def test_anything_else_is_refused_with_the_form_to_use(given: str) -> None:
    with pytest.raises(BadMonthError, match="is not a month") as caught:
        parse_month(given)
    assert caught.value.hint is not None and "YYYY-MM" in caught.value.hint


def test_unknown_companies_and_months_outside_the_books_are_named(paths: Paths) -> None:
    known = re.escape("companies: broken_ab (Brutet AB), calendar_ab (Kalender AB)")
    with pytest.raises(UnknownCompanyError, match=known):
        write_report_pack(paths, "other_ab", "2025-03")
    with pytest.raises(MonthNotInBooksError, match="run from 2024-07 to 2025-06"):
        write_report_pack(paths, "broken_ab", "2025-07")
    with pytest.raises(NotReadyError, match="nothing published"):
        write_report_pack(Paths(paths.home.parent / "empty"), "calendar_ab", "2025-03")
    assert not paths.reports.exists()


def test_a_snapshot_without_erp_marts_still_gives_every_sheet(paths: Paths) -> None:
    path = write_report_pack(paths, "calendar_ab", "2025-03")
    assert path == paths.reports / "calendar_ab" / "manadsrapport_calendar_ab_2025-03.xlsx"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    book = load_workbook(path)
    assert book.sheetnames == [
        "Sammanfattning", "Resultaträkning", "Balansräkning", "Budget mot utfall",
        "Kundreskontra", "Leverantörsreskontra", "Projekt", "Lager", "Avvikelser",
    ]  # fmt: skip
    rows = {row[0]: row for row in book["Resultaträkning"].iter_rows(values_only=True)}
    # March 2000.20 - 500.05; year to date adds February's 1000.10; no budget, no last year
    assert rows["Resultat"][1:5] == (1500.15, 2500.25, None, None)
    assert rows["3001 Försäljning"][1:3] == (2000.2, 3000.3)
    assert "Ingen data: fct_stock_balance_monthly" in str(book["Lager"]["A2"].value)
    assert "Ingen data: rec_findings" in str(book["Avvikelser"]["A2"].value)
    summary = {row[0]: row[1] for row in book["Sammanfattning"].iter_rows(values_only=True)}
    assert summary["Data publicerad"] == "2025-04-02 07:00:00 (Europe/Stockholm)"
    assert summary["Företag"] == "Kalender AB"
