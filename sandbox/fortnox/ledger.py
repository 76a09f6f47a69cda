"""The books' frame: financial years, the chart of accounts per year, cost centres, projects,
voucher series and the locked period (all read-only through the API)."""

from __future__ import annotations

from datetime import date

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.fortnox.times import local_today, since
from sandbox.fortnox.wire import NOT_FOUND, ApiError, Context, json_response, money, page, present


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
        request, ctx.store, "Accounts",
        "select * from accounts where year_id = ? and (? is null or modified_at > ?) "
        "order by number",
        (year["id"], after, after),
        lambda r: present({
            "@url": f"/3/accounts/{r['number']}", "Number": r["number"],
            "Description": r["description"], "Active": bool(r["active"]), "SRU": r["sru"],
            "Year": year["id"], "CostCenterSettings": r["cost_center_settings"],
            "ProjectSettings": r["project_settings"],
            "BalanceBroughtForward": money(r["balance_brought_forward"]),
        }),
    )  # fmt: skip


def cost_centers(ctx: Context, request: Request) -> Response:
    return page(
        request, ctx.store, "CostCenters", "select * from cost_centers order by code", (),
        lambda r: present({
            "@url": f"/3/costcenters/{r['code']}", "Code": r["code"],
            "Description": r["description"], "Active": bool(r["active"]), "Note": r["note"],
        }),
    )  # fmt: skip


def projects(ctx: Context, request: Request) -> Response:
    return page(
        request, ctx.store, "Projects", "select * from projects order by number", (),
        lambda r: present({
            "@url": f"/3/projects/{r['number']}", "ProjectNumber": r["number"],
            "Description": r["description"], "Status": r["status"],
            "StartDate": r["start_date"], "EndDate": r["end_date"],
        }),
    )  # fmt: skip


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


ROUTES = [
    Rule("/3/financialyears", endpoint=financial_years, methods=["GET"]),
    Rule("/3/accounts", endpoint=accounts, methods=["GET"]),
    Rule("/3/costcenters", endpoint=cost_centers, methods=["GET"]),
    Rule("/3/projects", endpoint=projects, methods=["GET"]),
    Rule("/3/voucherseries", endpoint=voucher_series, methods=["GET"]),
    Rule("/3/settings/lockedperiod", endpoint=locked_period, methods=["GET"]),
]
