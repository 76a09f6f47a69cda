"""Fortnox's bookkeeping rules, as plain functions over a financial year's chart.

The API holds every voucher (and every invoice row's account) to them, and the seeder holds
the demo company's vouchers to the very same functions, so seeded books are books the API
would have accepted. A rule broken raises ``ApiError`` with a Swedish message.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sandbox.fortnox.wire import (
    ACCOUNT_INACTIVE,
    ACCOUNT_UNKNOWN,
    CENT,
    DIMENSION_MISSING,
    DIMENSION_REFUSED,
    INVALID,
    LOCKED_PERIOD,
    NOT_BALANCED,
    OUTSIDE_YEAR,
    ApiError,
)

DIMENSION_SETTINGS = ("ALLOWED", "MANDATORY", "NOTALLOWED")


@dataclass(frozen=True)
class AccountRule:
    active: bool
    cost_center: str  # ALLOWED | MANDATORY | NOTALLOWED
    project: str


@dataclass(frozen=True)
class Chart:
    """What a row is checked against: one financial year's accounts, and the cost centres and
    projects that exist."""

    accounts: dict[int, AccountRule]
    cost_centers: frozenset[str]
    projects: frozenset[str]

    @classmethod
    def load(cls, db: sqlite3.Connection, year_id: int) -> Chart:
        accounts = {
            r[0]: AccountRule(bool(r[1]), r[2], r[3])
            for r in db.execute(
                "select number, active, cost_center_settings, project_settings from accounts "
                "where year_id = ?",
                (year_id,),
            )
        }
        return cls(
            accounts,
            frozenset(r[0] for r in db.execute("select code from cost_centers")),
            frozenset(r[0] for r in db.execute("select number from projects")),
        )


def check_amounts(index: int, debit: Decimal, credit: Decimal) -> tuple[Decimal, Decimal]:
    """Debit and credit are positive amounts in whole öre."""
    if debit < 0 or credit < 0 or debit != debit.quantize(CENT) or credit != credit.quantize(CENT):
        raise ApiError(
            400, INVALID, f"Rad {index}: debet och kredit är positiva belopp i hela ören."
        )
    return debit.quantize(CENT), credit.quantize(CENT)


def check_account(
    chart: Chart, index: int, number: int, cost_center: str | None, project: str | None
) -> None:
    """The account exists in the year's chart, is active, and its cost-centre and project
    settings allow (or demand) the dimensions given, which must exist."""
    account = chart.accounts.get(number)
    if account is None:
        raise ApiError(400, ACCOUNT_UNKNOWN, f"Rad {index}: konto {number} finns inte i "
                       "räkenskapsårets kontoplan.")  # fmt: skip
    if not account.active:
        raise ApiError(400, ACCOUNT_INACTIVE, f"Rad {index}: konto {number} är inaktivt.")
    for given, rule, known, what in (
        (cost_center, account.cost_center, chart.cost_centers, "kostnadsställe"),
        (project, account.project, chart.projects, "projekt"),
    ):
        if given and rule == "NOTALLOWED":
            raise ApiError(400, DIMENSION_REFUSED, f"Rad {index}: konto {number} tillåter "
                           f"inte {what} ({given}).")  # fmt: skip
        if not given and rule == "MANDATORY":
            raise ApiError(400, DIMENSION_MISSING, f"Rad {index}: konto {number} kräver {what}.")
        if given and given not in known:
            raise ApiError(400, INVALID, f"Rad {index}: {what} {given} finns inte.")


def check_balance(debit: Decimal, credit: Decimal) -> None:
    if debit != credit:
        raise ApiError(
            400, NOT_BALANCED,
            f"Verifikationen är inte balanserad: debet {debit:.2f} och kredit {credit:.2f} "
            f"skiljer {debit - credit:.2f}.",
        )  # fmt: skip


def check_date(day: date, from_date: str, to_date: str, locked_until: str | None) -> None:
    """Inside the financial year and after the locked period (dates as ISO text)."""
    if not from_date <= day.isoformat() <= to_date:
        raise ApiError(
            400, OUTSIDE_YEAR,
            f"Datumet {day} ligger utanför räkenskapsåret {from_date} – {to_date}.",
        )  # fmt: skip
    if locked_until and day.isoformat() <= locked_until:
        raise ApiError(
            400, LOCKED_PERIOD,
            f"Perioden är låst till och med {locked_until}: verifikationer kan inte bokföras "
            f"på {day}.",
        )  # fmt: skip
