"""Vouchers: listed, read, and created — never changed or deleted (Swedish bookkeeping law and
the Fortnox API agree). A new voucher is held to the rules in rules.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.fortnox import rules
from sandbox.fortnox.ledger import find_year
from sandbox.fortnox.times import stamp
from sandbox.fortnox.wire import (
    INVALID,
    NOT_FOUND,
    VOUCHERS_IMMUTABLE,
    ApiError,
    Context,
    body_of,
    error_response,
    json_response,
    page,
)

#: The OpenAPI description's VoucherListItem.ReferenceType.
REFERENCE_TYPES = ("INVOICE", "SUPPLIERINVOICE", "INVOICEPAYMENT", "SUPPLIERPAYMENT", "MANUAL",
                   "CASHINVOICE", "ACCRUAL")  # fmt: skip


def list_vouchers(ctx: Context, request: Request) -> Response:
    """A year's vouchers, optionally those of one series (``voucherseries``) and dated within
    ``fromdate``–``todate``, as Fortnox filters them."""
    year = find_year(ctx, request)
    where, params = ["year_id = ?"], [year["id"]]
    if request.args.get("voucherseries"):
        where.append("series = ?")
        params.append(request.args["voucherseries"])
    for name, test in (("fromdate", ">="), ("todate", "<=")):
        if request.args.get(name):
            try:
                params.append(date.fromisoformat(request.args[name]).isoformat())
            except ValueError:
                raise ApiError(400, INVALID, f"{name} ska vara ett datum (YYYY-MM-DD).") from None
            where.append(f"transaction_date {test} ?")
    return page(
        request, ctx.store, "Vouchers",
        f"select * from vouchers where {' and '.join(where)} order by series, number", params,
        lambda r: {
            "@url": f"/3/vouchers/{r['series']}/{r['number']}?financialyear={year['id']}",
            "Description": r["description"], "ReferenceNumber": r["reference_number"] or "",
            "ReferenceType": r["reference_type"] or "MANUAL",
            "TransactionDate": r["transaction_date"], "VoucherNumber": r["number"],
            "VoucherSeries": r["series"], "Year": year["id"], "ApprovalState": 0,
            "Comments": r["comments"] or "",
        },
    )  # fmt: skip


def get_voucher(ctx: Context, request: Request, series: str, number: int) -> Response:
    year = find_year(ctx, request)
    row = ctx.store.one(
        "select * from vouchers where year_id = ? and series = ? and number = ?",
        (year["id"], series, number),
    )
    if row is None:
        raise ApiError(404, NOT_FOUND, f"Verifikation {series}{number} finns inte.")
    return json_response({"Voucher": voucher_body(ctx, dict(row))})


def immutable(ctx: Context, request: Request, series: str, number: int) -> Response:
    """PUT and DELETE are routed, to say why they are refused."""
    return error_response(405, VOUCHERS_IMMUTABLE, "Verifikationer kan inte ändras eller tas "
                          "bort. Bokför en rättelseverifikation i stället.")  # fmt: skip


def voucher_body(ctx: Context, row: dict) -> dict:
    lines = ctx.store.rows(
        "select * from voucher_rows where year_id = ? and series = ? and number = ? "
        "order by row_index",
        (row["year_id"], row["series"], row["number"]),
    )
    return {
        "@url": f"/3/vouchers/{row['series']}/{row['number']}?financialyear={row['year_id']}",
        "Comments": row["comments"] or "",
        "CostCenter": row["cost_center"] or "",
        "Description": row["description"],
        "Project": row["project"] or "",
        "ReferenceNumber": row["reference_number"] or "",
        "ReferenceType": row["reference_type"] or "MANUAL",
        "TransactionDate": row["transaction_date"],
        "VoucherNumber": row["number"],
        "VoucherSeries": row["series"],
        "Year": row["year_id"],
        "ApprovalState": 0,
        "VoucherRows": [
            {"Account": r["account"], "Debit": Decimal(r["debit"]),
             "Credit": Decimal(r["credit"]), "CostCenter": r["cost_center"] or "",
             "Project": r["project"] or "", "Description": r["description"] or "",
             "TransactionInformation": r["transaction_information"] or "",
             "Quantity": Decimal(r["quantity"] or "0"), "Removed": False}
            for r in lines
        ],
    }  # fmt: skip


def create_voucher(ctx: Context, request: Request) -> Response:
    voucher = body_of(request, "Voucher")
    try:
        description = str(voucher["Description"]).strip()
        day = date.fromisoformat(voucher["TransactionDate"])
        series = str(voucher["VoucherSeries"])
        given = list(voucher["VoucherRows"])
    except (ValueError, KeyError, TypeError):
        raise ApiError(
            400, INVALID, "Verifikationen saknar Description, TransactionDate, "
            "VoucherSeries eller VoucherRows, eller har fel format."
        ) from None  # fmt: skip
    if not description or len(given) < 2:
        raise ApiError(400, INVALID, "En verifikation behöver en beskrivning och minst två rader.")
    reference_type = voucher.get("ReferenceType") or "MANUAL"
    if reference_type not in REFERENCE_TYPES:
        raise ApiError(400, INVALID, f"ReferenceType ska vara ett av {', '.join(REFERENCE_TYPES)}.")
    year = find_year(ctx, request, on=day, wanted=voucher.get("Year"))
    rules.check_date(day, year["from_date"], year["to_date"], ctx.store.setting("locked_until"))
    with ctx.store.transaction() as db:
        if db.execute("select 1 from voucher_series where code = ?", (series,)).fetchone() is None:
            raise ApiError(400, INVALID, f"Verifikationsserien {series} finns inte.")
        chart = rules.Chart.load(db, year["id"])
        rows = [_checked_row(chart, i, row) for i, row in enumerate(given, 1)]
        rules.check_balance(
            sum((r[1] for r in rows), Decimal(0)), sum((r[2] for r in rows), Decimal(0))
        )
        (number,) = db.execute(
            "select coalesce(max(number), 0) + 1 from vouchers where year_id = ? and series = ?",
            (year["id"], series),
        ).fetchone()
        db.execute(
            "insert into vouchers values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (year["id"], series, number, day.isoformat(), description, voucher.get("Comments"),
             reference_type, voucher.get("ReferenceNumber"), voucher.get("CostCenter") or None,
             voucher.get("Project") or None, stamp(ctx.clock)),
        )  # fmt: skip
        db.executemany(
            "insert into voucher_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(year["id"], series, number, i, r[0], str(r[1]), str(r[2]), *r[3:])
             for i, r in enumerate(rows, 1)],
        )  # fmt: skip
    created = ctx.store.one(
        "select * from vouchers where year_id = ? and series = ? and number = ?",
        (year["id"], series, number),
    )
    return json_response({"Voucher": voucher_body(ctx, dict(created))}, 201)


def _checked_row(chart: rules.Chart, index: int, row: object) -> tuple:
    """A row as voucher_rows holds it (from ``account`` on), once the rules pass."""
    if not isinstance(row, dict):
        raise ApiError(400, INVALID, f"Rad {index}: en rad är ett objekt.")
    try:
        number = int(row["Account"])
        debit = Decimal(str(row.get("Debit", 0) or 0))
        credit = Decimal(str(row.get("Credit", 0) or 0))
    except (KeyError, ValueError, TypeError, InvalidOperation):
        raise ApiError(
            400, INVALID, f"Rad {index}: Account, Debit och Credit måste vara tal."
        ) from None
    debit, credit = rules.check_amounts(index, debit, credit)
    cost_center = str(row.get("CostCenter") or "") or None
    project = str(row.get("Project") or "") or None
    rules.check_account(chart, index, number, cost_center, project)
    quantity = row.get("Quantity")
    return (number, debit, credit, cost_center, project, row.get("Description"),
            row.get("TransactionInformation"),
            str(quantity) if quantity is not None else None)  # fmt: skip


ROUTES = [
    Rule("/3/vouchers", endpoint=list_vouchers, methods=["GET"]),
    Rule("/3/vouchers", endpoint=create_voucher, methods=["POST"]),
    Rule("/3/vouchers/<series>/<int:number>", endpoint=get_voucher, methods=["GET"]),
    Rule("/3/vouchers/<series>/<int:number>", endpoint=immutable, methods=["PUT", "DELETE"]),
]
