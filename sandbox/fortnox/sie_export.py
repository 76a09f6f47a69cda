"""``GET /3/sie/{Type}``: one financial year's books as a SIE file, as Fortnox exports them.

Type 4 is a 4E export: identification, ``#RAR`` for the year (0) and the one before (-1, when
the sandbox has it), the year's chart (``#KONTO``, ``#SRU``), cost centres and projects as
dimensions 1 and 6 (``#DIM``, ``#OBJEKT``), ``#IB``/``#UB`` for balance accounts and ``#RES``
for result accounts of both years, then every voucher of the year (``#VER``/``#TRANS`` with
``{1 "CC" 6 "P"}`` object lists, amounts debit positive). Type 1 is the same without
dimensions and vouchers (year balances only). Types 2 and 3 (period and object balances) are
refused. The year is the ``financialyear`` parameter's, else the current one, else the latest.

IB is each account's BalanceBroughtForward (its opening balance in that year); UB is IB plus
the year's vouchers, RES the year's vouchers on result accounts, so a reader can check the
file complete. Accounts of BAS classes 1 and 2 carry balances; the others are result accounts.

The file is written by ledgerbridge's own SIE writer and answered as CP437 (``#FORMAT PC8``)
bytes with CRLF line ends, as Fortnox answers it. The OpenAPI description declares this
operation as "204, no content"; Fortnox answers 200 with the file, and so does the sandbox
(as ``text/plain; charset=IBM437``).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date
from decimal import Decimal

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from ledgerbridge.formats.sie import (
    DIM_COST_CENTRE,
    DIM_PROJECT,
    Account,
    Balance,
    Dimension,
    FiscalYear,
    SieHeader,
    Voucher,
    VoucherRow,
    encode,
    format_header,
    format_voucher,
)
from sandbox.fortnox.ledger import find_year
from sandbox.fortnox.times import local_date, local_today
from sandbox.fortnox.wire import INVALID, UNSUPPORTED, ApiError, Context

PROGRAM = ("Fortnox", "ledgerbridge-sandlåda")


def sie(ctx: Context, request: Request, kind: str) -> Response:
    if kind in ("2", "3"):
        raise ApiError(400, UNSUPPORTED, f"SIE typ {kind} stöds inte av sandlådan; välj typ 1 "
                       "eller 4.")  # fmt: skip
    if kind not in ("1", "4"):
        raise ApiError(400, INVALID, f"SIE typ {kind} finns inte: välj 1, 2, 3 eller 4.")
    year = find_year(ctx, request)
    with ctx.store.transaction() as db:  # one consistent view of the books
        content = export(db, year, int(kind), local_today(ctx.clock))
    return Response(
        content,
        status=200,
        content_type="text/plain; charset=IBM437",
        headers={"Content-Disposition": f'attachment; filename="sie{kind}_{year["id"]}.se"'},
    )


def export(db: sqlite3.Connection, year: dict, sie_type: int, generated: date) -> bytes:
    """The SIE file (type 1 or 4) of ``year`` as bytes."""
    setting = dict(db.execute("select key, value from settings").fetchall())
    previous = db.execute(
        "select * from financial_years where to_date < ? order by to_date desc limit 1",
        (year["from_date"],),
    ).fetchone()
    header = SieHeader(
        program=PROGRAM[0],
        program_version=PROGRAM[1],
        generated=generated,
        sie_type="1" if sie_type == 1 else "4",
        company_name=setting.get("company_name") or "Sandlåda AB",
        orgnr=setting.get("organisation_number"),
        fiscal_years=[_fiscal_year(0, year)],
        accounts={
            str(r["number"]): Account(str(r["number"]), r["description"],
                                      sru=str(r["sru"]) if r["sru"] else None)
            for r in db.execute(
                "select number, description, sru from accounts where year_id = ? "
                "order by number", (year["id"],)
            )
        },
    )  # fmt: skip
    vouchers = _vouchers(db, year["id"]) if sie_type == 4 else []
    if sie_type == 4:
        header.dimensions = {
            DIM_COST_CENTRE: Dimension(DIM_COST_CENTRE, "Kostnadsställe"),
            DIM_PROJECT: Dimension(DIM_PROJECT, "Projekt"),
        }
        header.objects = {
            (DIM_COST_CENTRE, r[0]): r[1]
            for r in db.execute("select code, description from cost_centers order by code")
        } | {
            (DIM_PROJECT, r[0]): r[1]
            for r in db.execute("select number, description from projects order by number")
        }
    header.balances = _balances(db, year, 0, _movements(vouchers) if vouchers else None)
    if previous is not None:
        header.fiscal_years.append(_fiscal_year(-1, dict(previous)))
        header.balances += _balances(db, dict(previous), -1, None)
    text = format_header(header, "4E") + "".join(format_voucher(v) for v in vouchers)
    return encode(text)


def _fiscal_year(index: int, year: dict) -> FiscalYear:
    return FiscalYear(index, date.fromisoformat(year["from_date"]),
                      date.fromisoformat(year["to_date"]))  # fmt: skip


def _is_balance_account(account: str) -> bool:
    return account[0] in "12"


def _movements(vouchers: list[Voucher]) -> dict[str, Decimal]:
    moved: dict[str, Decimal] = defaultdict(Decimal)
    for voucher in vouchers:
        for row in voucher.rows:
            moved[row.account] += row.amount
    return moved


def _balances(
    db: sqlite3.Connection, year: dict, index: int, moved: dict[str, Decimal] | None
) -> list[Balance]:
    if moved is None:
        moved = defaultdict(Decimal)
        for account, debit, credit in db.execute(
            "select account, debit, credit from voucher_rows where year_id = ?", (year["id"],)
        ):
            moved[str(account)] += Decimal(debit) - Decimal(credit)
    opening = {
        str(r[0]): Decimal(r[1])
        for r in db.execute(
            "select number, balance_brought_forward from accounts where year_id = ? "
            "order by number", (year["id"],)
        )
        if Decimal(r[1])
    }  # fmt: skip
    balances = [Balance("IB", index, a, v) for a, v in opening.items() if _is_balance_account(a)]
    for account in sorted(set(opening) | set(moved)):
        if _is_balance_account(account):
            closing = opening.get(account, Decimal(0)) + moved.get(account, Decimal(0))
            if closing:
                balances.append(Balance("UB", index, account, closing))
        elif moved.get(account):
            balances.append(Balance("RES", index, account, moved[account]))
    return balances


def _vouchers(db: sqlite3.Connection, year_id: int) -> list[Voucher]:
    vouchers: dict[tuple[str, int], Voucher] = {}
    for r in db.execute(
        "select series, number, transaction_date, description, created_at from vouchers "
        "where year_id = ? order by series, number", (year_id,)
    ):  # fmt: skip
        vouchers[(r[0], r[1])] = Voucher(
            series=r[0], number=str(r[1]), date=date.fromisoformat(r[2]), text=r[3],
            registered=local_date(r[4]),
        )  # fmt: skip
    for r in db.execute(
        "select series, number, account, debit, credit, cost_center, project, description, "
        "quantity from voucher_rows where year_id = ? order by series, number, row_index",
        (year_id,),
    ):
        objects = tuple(
            (dimension, value)
            for dimension, value in ((DIM_COST_CENTRE, r[5]), (DIM_PROJECT, r[6]))
            if value
        )
        quantity = Decimal(r[8]) if r[8] else None
        vouchers[(r[0], r[1])].rows.append(
            VoucherRow("TRANS", str(r[2]), Decimal(r[3]) - Decimal(r[4]), objects,
                       text=r[7] or None, quantity=quantity or None)
        )  # fmt: skip
    return list(vouchers.values())


ROUTES = [Rule("/3/sie/<kind>", endpoint=sie, methods=["GET"])]
