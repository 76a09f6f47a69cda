"""Budget files a controller uploads (CSV) → ``raw_budget``.

One row per month, account, cost centre and project::

    period;account;cost_centre;project;amount
    2024-01;3001;SALJ;;-23300,00
    2024-01;5010;ADM;;24000

Swedish spreadsheets are welcome as they save CSV: ``;`` (or ``,`` or tab) between columns,
decimal comma or point, spaces between thousands, UTF-8 or Windows-1252. The columns may also
carry their Swedish names (period/månad, konto, resultatenhet/kostnadsställe, projekt, belopp).
Amounts are signed as the ledger books them: debit positive, so costs positive and revenue
negative, as SIE ``#PBUDGET`` states them.

A file is read and checked whole; a file with any problem is refused with every problem named
by line, and nothing of it lands. A file replaces the budget that earlier files held for the
months it covers, from its first month to its last: the year's budget uploaded again (changed,
under any name) replaces the old one rather than adding to it.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa

from ingestion.arrow_tables import AMOUNT, RawTable, files_table, schema
from ingestion.files import FileRows
from ledgerbridge.config import Company
from ledgerbridge.errors import InvalidInputError
from ledgerbridge.formats.diagnostic import ERROR, Diagnostic

DATASET = "raw_budget"
SUFFIXES = (".csv",)
_S, _I = pa.string(), pa.int64()
_PERIOD_KEY = ("company_id", "period")

FILES = files_table(
    ("first_period", _S),
    ("last_period", _S),
    ("entries", _I),
    ("total_amount", AMOUNT),
    ("delimiter", _S),
    ("encoding", _S),
    ("warnings", _S),
)
#: Which file holds each month's budget: every month from a file's first to its last.
PERIODS = RawTable(
    "periods",
    schema(
        ("company_id", _S, False),
        ("period", _S, False),
        ("file_sha256", _S),
        ("file_name", _S),
    ),
    primary_key=_PERIOD_KEY,
    replace_key=_PERIOD_KEY,
)
ENTRIES = RawTable(
    "entries",
    schema(
        ("company_id", _S, False),
        ("period", _S, False),
        ("account_number", _S, False),
        # '' where the budget names no cost centre or project, so that they can be key columns
        ("cost_centre", _S, False),
        ("project", _S, False),
        ("amount", AMOUNT),
        ("file_sha256", _S),
        ("source_line", _I),
    ),
    primary_key=(*_PERIOD_KEY, "account_number", "cost_centre", "project"),
    replace_key=_PERIOD_KEY,
)
TABLES = (FILES, PERIODS, ENTRIES)

#: Column names as a header may write them (lower case, spaces and dashes as _).
COLUMNS = ("period", "account", "cost_centre", "project", "amount")
REQUIRED = ("period", "account", "amount")
_ALIASES = {
    "period": "period", "månad": "period", "manad": "period", "month": "period",
    "account": "account", "account_number": "account", "konto": "account",
    "kontonr": "account", "kontonummer": "account",
    "cost_centre": "cost_centre", "cost_center": "cost_centre", "costcentre": "cost_centre",
    "costcenter": "cost_centre", "resultatenhet": "cost_centre", "kostnadsställe": "cost_centre",
    "kostnadsstalle": "cost_centre", "kst": "cost_centre", "re": "cost_centre",
    "project": "project", "projekt": "project",
    "amount": "amount", "belopp": "amount", "budget": "amount",
}  # fmt: skip
_DELIMITERS = (";", "\t", ",")
_PERIOD = re.compile(r"^(\d{4})-?(\d{2})$")
_ACCOUNT = re.compile(r"^\d{1,10}$")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?$")
_MAX_PROBLEMS = 50
_HINT = (
    "fix the file (or export it again from the spreadsheet) and put it back in the budget "
    "folder; nothing of it was loaded, and the budget held before stays as it was"
)
_EXPECTED_HEADER = "period;account;cost_centre;project;amount"


class BudgetFileError(InvalidInputError):
    code = "budget-invalid"

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        more = f" (and {len(diagnostics) - 1} more problems)" if len(diagnostics) > 1 else ""
        first = diagnostics[0]
        where = f"{first.path} line {first.line}" if first.line else first.path
        super().__init__(f"{where}: {first.message}{more}", hint=_HINT)
        self.diagnostics = diagnostics


def parse_amount(text: str) -> Decimal | None:
    """An amount as spreadsheets write it: ``-1 234,50``, ``1234.5``, ``−500``; at most two
    decimals. None when it is not one."""
    cleaned = text.strip().replace("\u2212", "-")
    for space in (" ", "\u00a0", "\u202f", "'"):
        cleaned = cleaned.replace(space, "")
    if not _PLAIN_NUMBER.match(cleaned):
        return None
    decimals = cleaned.replace(",", ".").partition(".")[2]
    if len(decimals) > 2:
        return None
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        return None


def parse_period(text: str) -> str | None:
    """``YYYY-MM`` (or ``YYYYMM``, as SIE writes it) as ``YYYY-MM``; None when not a month."""
    match = _PERIOD.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        return None
    return f"{match.group(1)}-{match.group(2)}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (YYYY-MM), both included."""
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict"), "cp1252"


def budget_file_rows(path: Path, sha256: str, company: Company, display: str) -> FileRows:
    """The rows of one budget CSV per raw table, read and checked whole: every problem is
    collected (up to fifty) and the file refused with all of them."""
    problems: list[Diagnostic] = []

    def problem(line: int | None, message: str) -> None:
        problems.append(Diagnostic("budget", ERROR, display, line, message))

    def refuse() -> BudgetFileError:
        return BudgetFileError(problems)

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"{display} cannot be read: {exc.strerror or exc}") from None
    try:
        text, encoding = _decode(data)
    except UnicodeDecodeError as exc:
        problem(None, f"is not text (byte {exc.start}); expected a CSV file saved as text")
        raise refuse() from None
    lines = text.splitlines()
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        problem(
            None,
            f"is empty; expected a header line ({_EXPECTED_HEADER}) and one line per month, "
            "account, cost centre and project",
        )
        raise refuse()
    header_line = lines[header_index]
    if header_line.strip().lower().startswith("sep=") and len(header_line.strip()) == 5:
        # Excel's "sep=;" line names the separator; the header follows it
        delimiter = header_line.strip()[4]
        text = "\n".join(lines[header_index + 1 :])
        header_line = next((line for line in lines[header_index + 1 :] if line.strip()), "")
        offset = header_index + 1
    else:
        delimiter = max(_DELIMITERS, key=header_line.count)
        offset = 0
    if header_line.count(delimiter) == 0:
        problem(
            header_index + 1,
            f"the header {header_line.strip()!r} has no column separator; expected columns "
            f"separated by ';' (or ',' or tab): {_EXPECTED_HEADER}",
        )
        raise refuse()
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    columns: dict[str, int] = {}
    entries: list[dict] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for record in reader:
        line = reader.line_num + offset
        if len(problems) >= _MAX_PROBLEMS:
            break
        if not any(cell.strip() for cell in record):
            continue  # blank lines, and Excel's ;;;; rows below the data
        if header is None:
            header = record
            columns = _columns(header, line, problem)
            if problems:
                raise refuse()
            continue
        if len(record) > len(header) and any(c.strip() for c in record[len(header) :]):
            problem(
                line,
                f"has {len(record)} fields, the header {len(header)}; a value holding "
                f"'{delimiter}' must be quoted",
            )
            continue

        def cell(name: str, record: list[str] = record, columns: dict = columns) -> str:
            index = columns.get(name)
            return record[index].strip() if index is not None and index < len(record) else ""

        period = parse_period(cell("period"))
        if period is None:
            problem(
                line,
                f"period {cell('period')!r} is not a month; expected YYYY-MM (e.g. 2024-01)",
            )
        account = cell("account")
        if not _ACCOUNT.match(account):
            problem(
                line, f"account {account!r} is not an account number; expected digits (e.g. 5010)"
            )
        amount = parse_amount(cell("amount"))
        if amount is None:
            problem(
                line,
                f"amount {cell('amount')!r} is not an amount; expected a number with at most "
                "two decimals, debit positive (e.g. 24000, -1 234,50 or 1234.50)",
            )
        cost_centre, project = cell("cost_centre"), cell("project")
        if period is None or amount is None or not _ACCOUNT.match(account):
            continue
        key = (period, account, cost_centre, project)
        if key in seen:
            problem(
                line,
                f"repeats line {seen[key]} (period {period}, account {account}, cost centre "
                f"{cost_centre or '(none)'}, project {project or '(none)'}); each combination "
                "once: add the amounts up or remove one",
            )
            continue
        seen[key] = line
        entries.append(
            {
                "company_id": company.id,
                "period": period,
                "account_number": account,
                "cost_centre": cost_centre,
                "project": project,
                "amount": amount,
                "file_sha256": sha256,
                "source_line": line,
            }
        )
    if problems:
        raise refuse()
    if not entries:
        problem(
            None,
            "holds a header but no budget lines; expected one line per month, account, cost "
            "centre and project",
        )
        raise refuse()
    first = min(e["period"] for e in entries)
    last = max(e["period"] for e in entries)
    periods = [
        {"company_id": company.id, "period": p, "file_sha256": sha256, "file_name": path.name}
        for p in months_between(first, last)
    ]
    return {
        ENTRIES.name: entries,
        PERIODS.name: periods,
        FILES.name: [
            {
                "company_id": company.id,
                "file_sha256": sha256,
                "file_name": path.name,
                "first_period": first,
                "last_period": last,
                "entries": len(entries),
                "total_amount": sum((e["amount"] for e in entries), Decimal(0)),
                "delimiter": delimiter,
                "encoding": encoding,
                "warnings": None,
                "loaded_at": datetime.now(UTC),
            }
        ],
    }


def _columns(header: list[str], line: int, problem) -> dict[str, int]:
    """Each known column's index; unknown, repeated or missing columns are problems."""
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = re.sub(r"[\s\-]+", "_", raw.strip().lstrip("\ufeff").lower())
        if not name:
            continue
        canonical = _ALIASES.get(name)
        if canonical is None:
            problem(
                line,
                f"unknown column {raw.strip()!r}; expected the columns {', '.join(COLUMNS)} "
                f"(header: {_EXPECTED_HEADER})",
            )
        elif canonical in columns:
            problem(line, f"column {raw.strip()!r} is there twice (as {canonical})")
        else:
            columns[canonical] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problem(
            line,
            f"no {', '.join(missing)} column; expected the columns {', '.join(COLUMNS)} "
            f"(cost_centre and project may be left out)",
        )
    return columns
