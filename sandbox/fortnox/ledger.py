"""The books' frame: financial years, the chart of accounts per year, cost centres, projects,
voucher series and the locked period. Read-only through the API, except accounts (read one by
one and created in a year's chart), cost centres and projects (read one by one, created and
updated; Description required; a project without a number gets the next free one)."""

from __future__ import annotations

import sqlite3
from datetime import date

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.fortnox.times import local_today, since, stamp
from sandbox.fortnox.wire import (
    DUPLICATE,
    INVALID,
    NOT_FOUND,
    ApiError,
    Context,
    body_of,
    boolean,
    choice,
    day,
    json_response,
    money,
    page,
    present,
    refuse_unknown,
    text,
)


def year_parameter(request: Request) -> str | None:
    """Fortnox's documentation writes ``financialyear``, its OpenAPI description (for sie)
    ``financialYear``: both are heard."""
    return request.args.get("financialyear") or request.args.get("financialYear")


def find_year(
    ctx: Context, request: Request, on: date | None = None, wanted: object = None
) -> dict:
    """The financial year asked for (``wanted``: a voucher's Year; else the ``financialyear``
    parameter), else the one ``on`` (or today in Stockholm) falls in, else the latest."""
    wanted = wanted if wanted is not None else year_parameter(request)
    if wanted is not None:
        row = ctx.store.one("select * from financial_years where id = ?", (wanted,))
        if row is None:
            raise ApiError(404, NOT_FOUND, f"Räkenskapsår {wanted} finns inte.")
        return dict(row)
    day = (on or local_today(ctx.clock)).isoformat()
    row = ctx.store.one(
        "select * from financial_years where from_date <= ? and to_date >= ?", (day, day)
    ) or ctx.store.one("select * from financial_years order by to_date desc limit 1")
    if row is None:
        raise ApiError(404, NOT_FOUND, "Inget räkenskapsår finns.")
    return dict(row)


def financial_years(ctx: Context, request: Request) -> Response:
    rows = ctx.store.rows("select * from financial_years order by from_date")
    wanted = request.args.get("Date")
    years = [
        {"@url": f"/3/financialyears/{r['id']}", "Id": r["id"], "FromDate": r["from_date"],
         "ToDate": r["to_date"], "AccountChartType": r["chart_type"],
         "AccountingMethod": "ACCRUAL"}
        for r in rows
        if wanted is None or r["from_date"] <= wanted <= r["to_date"]
    ]  # fmt: skip
    return json_response({"FinancialYears": years})


def accounts(ctx: Context, request: Request) -> Response:
    year = find_year(ctx, request)
    after = since(request)
    return page(
        request,
        ctx.store,
        "Accounts",
        "select * from accounts where year_id = ? and (? is null or modified_at > ?) "
        "order by number",
        (year["id"], after, after),
        lambda r: _account_body(r, year["id"]),
    )


def cost_centers(ctx: Context, request: Request) -> Response:
    return page(
        request,
        ctx.store,
        "CostCenters",
        "select * from cost_centers order by code",
        (),
        _cost_center_body,
    )


def projects(ctx: Context, request: Request) -> Response:
    return page(
        request,
        ctx.store,
        "Projects",
        "select * from projects order by number",
        (),
        _project_body,
    )


def voucher_series(ctx: Context, request: Request) -> Response:
    year = find_year(ctx, request)
    rows = ctx.store.rows("select * from voucher_series order by code")
    items = [
        {"@url": f"/3/voucherseries/{r['code']}", "Code": r["code"],
         "Description": r["description"], "Manual": bool(r["manual"]), "Year": year["id"]}
        for r in rows
    ]  # fmt: skip
    return json_response({"VoucherSeriesCollection": items})


def locked_period(ctx: Context, request: Request) -> Response:
    return json_response({"LockedPeriod": present({"EndDate": ctx.store.setting("locked_until")})})


# -- accounts: read one, create (in a financial year's chart) -----------------------------------
def _account_body(row: sqlite3.Row, year_id: int) -> dict:
    return present({
        "@url": f"/3/accounts/{row['number']}", "Number": row["number"],
        "Description": row["description"], "Active": bool(row["active"]), "SRU": row["sru"],
        "Year": year_id, "CostCenterSettings": row["cost_center_settings"],
        "ProjectSettings": row["project_settings"],
        "BalanceBroughtForward": money(row["balance_brought_forward"]),
    })  # fmt: skip


def get_account(ctx: Context, request: Request, number: int) -> Response:
    year = find_year(ctx, request)
    row = ctx.store.one(
        "select * from accounts where year_id = ? and number = ?", (year["id"], number)
    )
    if row is None:
        raise ApiError(404, NOT_FOUND, f"Konto {number} finns inte i räkenskapsår {year['id']}.")
    return json_response({"Account": _account_body(row, year["id"])})


def create_account(ctx: Context, request: Request) -> Response:
    """An account in the chart of the financial year asked for (``financialyear``, else the
    current one): a number of four digits, 1000–9999, and a description."""
    body = body_of(request, "Account")
    refuse_unknown(body, {"Number", "Description", "Active", "SRU"}, "Account")
    year = find_year(ctx, request)
    number = body.get("Number")
    if not isinstance(number, int) or not 1000 <= number <= 9999:
        raise ApiError(400, INVALID, "Number ska vara ett kontonummer 1000–9999.")
    description = text(body, "Description", 200)
    if description is None:
        raise ApiError(400, INVALID, "Description krävs för kontot.")
    active = boolean(body, "Active")
    with ctx.store.transaction() as db:
        if db.execute(
            "select 1 from accounts where year_id = ? and number = ?", (year["id"], number)
        ).fetchone():
            raise ApiError(400, DUPLICATE, f"Konto {number} finns redan i räkenskapsåret.")
        db.execute(
            "insert into accounts (year_id, number, description, active, sru, modified_at) "
            "values (?, ?, ?, ?, ?, ?)",
            (year["id"], number, description, 1 if active is None else int(active),
             body.get("SRU"), stamp(ctx.clock)),
        )  # fmt: skip
        row = db.execute(
            "select * from accounts where year_id = ? and number = ?", (year["id"], number)
        ).fetchone()
    return json_response({"Account": _account_body(row, year["id"])}, 201)


# -- cost centres and projects: read one, create, update -------------------------------------
PROJECT_STATUSES = ("NOTSTARTED", "ONGOING", "COMPLETED")


def _cost_center_body(row: sqlite3.Row) -> dict:
    return present({
        "@url": f"/3/costcenters/{row['code']}", "Code": row["code"],
        "Description": row["description"], "Active": bool(row["active"]), "Note": row["note"],
    })  # fmt: skip


def _project_body(row: sqlite3.Row) -> dict:
    return present({
        "@url": f"/3/projects/{row['number']}", "ProjectNumber": row["number"],
        "Description": row["description"], "Status": row["status"],
        "StartDate": row["start_date"], "EndDate": row["end_date"],
    })  # fmt: skip


def _cost_center_values(body: dict) -> dict[str, object]:
    refuse_unknown(body, {"Code", "Description", "Active", "Note"}, "CostCenter")
    values: dict[str, object] = {}
    if "Description" in body:
        values["description"] = text(body, "Description", 40)
    if "Active" in body:
        active = boolean(body, "Active")
        values["active"] = 1 if active is None else int(active)
    if "Note" in body:
        values["note"] = text(body, "Note", 1000)
    return values


def _project_values(body: dict) -> dict[str, object]:
    refuse_unknown(
        body, {"ProjectNumber", "Description", "Status", "StartDate", "EndDate"}, "Project"
    )
    values: dict[str, object] = {}
    if "Description" in body:
        values["description"] = text(body, "Description", 50)
    if "Status" in body:
        values["status"] = choice(body, "Status", PROJECT_STATUSES) or "ONGOING"
    for name, column in (("StartDate", "start_date"), ("EndDate", "end_date")):
        if name in body:
            given = day(body, name)
            values[column] = given.isoformat() if given else None
    return values


def get_cost_center(ctx: Context, request: Request, code: str) -> Response:
    row = ctx.store.one("select * from cost_centers where code = ?", (code,))
    if row is None:
        raise ApiError(404, NOT_FOUND, f"Kostnadsställe {code} finns inte.")
    return json_response({"CostCenter": _cost_center_body(row)})


def create_cost_center(ctx: Context, request: Request) -> Response:
    body = body_of(request, "CostCenter")
    values = _cost_center_values(body)
    code = text(body, "Code", 6)
    if code is None or values.get("description") is None:
        raise ApiError(400, INVALID, "Code och Description krävs för kostnadsstället.")
    with ctx.store.transaction() as db:
        if db.execute("select 1 from cost_centers where code = ?", (code,)).fetchone():
            raise ApiError(400, DUPLICATE, f"Kostnadsställe {code} används redan.")
        values = {"code": code, "active": 1, **values}
        db.execute(
            f"insert into cost_centers ({', '.join(values)}) "
            f"values ({', '.join('?' * len(values))})",
            list(values.values()),
        )
        row = db.execute("select * from cost_centers where code = ?", (code,)).fetchone()
    return json_response({"CostCenter": _cost_center_body(row)}, 201)


def update_cost_center(ctx: Context, request: Request, code: str) -> Response:
    body = body_of(request, "CostCenter")
    values = _cost_center_values(body)
    if text(body, "Code") not in (None, code):
        raise ApiError(400, INVALID, f"Code kan inte ändras ({code}).")
    if "description" in values and values["description"] is None:
        raise ApiError(400, INVALID, "Description krävs för kostnadsstället.")
    with ctx.store.transaction() as db:
        if not db.execute("select 1 from cost_centers where code = ?", (code,)).fetchone():
            raise ApiError(404, NOT_FOUND, f"Kostnadsställe {code} finns inte.")
        if values:
            db.execute(
                f"update cost_centers set {', '.join(f'{c} = ?' for c in values)} where code = ?",
                [*values.values(), code],
            )
        row = db.execute("select * from cost_centers where code = ?", (code,)).fetchone()
    return json_response({"CostCenter": _cost_center_body(row)})


def get_project(ctx: Context, request: Request, number: str) -> Response:
    row = ctx.store.one("select * from projects where number = ?", (number,))
    if row is None:
        raise ApiError(404, NOT_FOUND, f"Projekt {number} finns inte.")
    return json_response({"Project": _project_body(row)})


def create_project(ctx: Context, request: Request) -> Response:
    """A project: numbered as given, or the next free number as Fortnox numbers them."""
    body = body_of(request, "Project")
    values = _project_values(body)
    if values.get("description") is None:
        raise ApiError(400, INVALID, "Description krävs för projektet.")
    with ctx.store.transaction() as db:
        number = text(body, "ProjectNumber", 20)
        if number is None:
            (highest,) = db.execute(
                "select max(cast(number as integer)) from projects where number glob '[0-9]*'"
            ).fetchone()
            number = str((highest or 0) + 1)
        if db.execute("select 1 from projects where number = ?", (number,)).fetchone():
            raise ApiError(400, DUPLICATE, f"Projektnummer {number} används redan.")
        values = {"number": number, "status": "ONGOING", **values}
        db.execute(
            f"insert into projects ({', '.join(values)}) values ({', '.join('?' * len(values))})",
            list(values.values()),
        )
        row = db.execute("select * from projects where number = ?", (number,)).fetchone()
    return json_response({"Project": _project_body(row)}, 201)


def update_project(ctx: Context, request: Request, number: str) -> Response:
    body = body_of(request, "Project")
    values = _project_values(body)
    if text(body, "ProjectNumber") not in (None, number):
        raise ApiError(400, INVALID, f"ProjectNumber kan inte ändras ({number}).")
    if "description" in values and values["description"] is None:
        raise ApiError(400, INVALID, "Description krävs för projektet.")
    with ctx.store.transaction() as db:
        if not db.execute("select 1 from projects where number = ?", (number,)).fetchone():
            raise ApiError(404, NOT_FOUND, f"Projekt {number} finns inte.")
        if values:
            db.execute(
                f"update projects set {', '.join(f'{c} = ?' for c in values)} where number = ?",
                [*values.values(), number],
            )
        row = db.execute("select * from projects where number = ?", (number,)).fetchone()
    return json_response({"Project": _project_body(row)})


ROUTES = [
    Rule("/3/financialyears", endpoint=financial_years, methods=["GET"]),
    Rule("/3/accounts", endpoint=accounts, methods=["GET"]),
    Rule("/3/accounts", endpoint=create_account, methods=["POST"]),
    Rule("/3/accounts/<int:number>", endpoint=get_account, methods=["GET"]),
    Rule("/3/costcenters", endpoint=cost_centers, methods=["GET"]),
    Rule("/3/costcenters", endpoint=create_cost_center, methods=["POST"]),
    Rule("/3/costcenters/<code>", endpoint=get_cost_center, methods=["GET"]),
    Rule("/3/costcenters/<code>", endpoint=update_cost_center, methods=["PUT"]),
    Rule("/3/projects", endpoint=projects, methods=["GET"]),
    Rule("/3/projects", endpoint=create_project, methods=["POST"]),
    Rule("/3/projects/<number>", endpoint=get_project, methods=["GET"]),
    Rule("/3/projects/<number>", endpoint=update_project, methods=["PUT"]),
    Rule("/3/voucherseries", endpoint=voucher_series, methods=["GET"]),
    Rule("/3/settings/lockedperiod", endpoint=locked_period, methods=["GET"]),
]
