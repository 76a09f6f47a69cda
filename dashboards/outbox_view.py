"""The reverse ETL's state as the dashboards show it, read from the outbox in state.sqlite
(a SQLite file in WAL mode: reading never waits for a push or a build). Decisions go through
``reverse_etl.outbox.Outbox.decide``, never by writing here."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from ledgerbridge.config import Paths
from reverse_etl.outbox import Item, Outbox

STATE_LABELS = {
    "PLANNED": "Väntar på attest",
    "APPROVED": "Attesterad",
    "REJECTED": "Avslagen",
    "SUPERSEDED": "Ersatt",
    "SENDING": "Skickas",
    "POSTED": "Skickad",
    "FAILED_RETRYABLE": "Misslyckad (försöks igen)",
    "FAILED_TERMINAL": "Misslyckad",
}


def items_by_finding(company_id: str) -> dict[str, str]:
    """For each finding the reverse ETL has an item for: the latest item's state, in words."""
    paths = Paths.from_env()
    if not paths.state.exists():
        return {}
    with Outbox(paths) as outbox:
        items = outbox.items(company_id=company_id)
    latest: dict[str, str] = {}
    for item in items:  # in item order: the last one wins
        if item.finding_id:
            latest[item.finding_id] = STATE_LABELS.get(str(item.state), str(item.state))
    return latest


def describe(item: Item) -> str:
    """What the item writes, in a line."""
    payload = item.payload
    if payload.get("rows"):
        return str(payload.get("text") or item.source_document)
    changes = ", ".join(f"{field} → {value}" for field, value in item.after.items())
    return f"{payload.get('operation', item.operation)} {item.source_document}: {changes}"


def amount(item: Item) -> Decimal | None:
    """A voucher's size: the sum of its debit rows."""
    rows = item.payload.get("rows") or []
    debits = [Decimal(str(row["amount"])) for row in rows if Decimal(str(row["amount"])) > 0]
    return sum(debits, Decimal("0.00")) if debits else None


def items_frame(items: list[Item]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Nr": [item.item_id for item in items],
            "Status": [STATE_LABELS.get(str(item.state), str(item.state)) for item in items],
            "Synk": [item.sync.removeprefix("sync_") for item in items],
            "Mål": [item.destination for item in items],
            "Vad": [describe(item) for item in items],
            "Datum": [item.payload.get("date", "") for item in items],
            "Belopp": [amount(item) for item in items],
            "Avvikelse": [item.payload.get("finding", "") for item in items],
        }
    )


def before_after(item: Item) -> pd.DataFrame:
    """The preview: a voucher's rows, or each field as the target has it and as it will be."""
    rows = item.payload.get("rows")
    if rows:
        return pd.DataFrame(
            {
                "Konto": [row["account"] for row in rows],
                "Resultatenhet": [row.get("cost_centre") or "" for row in rows],
                "Projekt": [row.get("project") or "" for row in rows],
                "Belopp": [Decimal(str(row["amount"])) for row in rows],
            }
        )
    fields = list(dict.fromkeys([*item.before, *item.after]))
    return pd.DataFrame(
        {
            "Fält": fields,
            "Före": [str(item.before.get(field, "")) for field in fields],
            "Efter": [str(item.after.get(field, "")) for field in fields],
        }
    )


def runs(limit: int = 200) -> pd.DataFrame:
    """The latest runs of every step (ingest, build, publish, push, …), newest first."""
    from ledgerbridge.state import connect

    paths = Paths.from_env()
    con = connect(paths)
    try:
        frame = pd.read_sql_query(
            "select run_id, step, company_id, started_at, finished_at, status, summary "
            "from runs order by run_id desc limit ?",
            con,
            params=[limit],
        )
    finally:
        con.close()
    return frame


def attempts(run_id: int, company_id: str) -> pd.DataFrame:
    """What a push did with each of the company's items: the outcome and the target's
    message."""
    with Outbox(Paths.from_env()) as outbox:
        rows = [row for row in outbox.attempts(run_id) if row[1] == company_id]
    return pd.DataFrame(rows, columns=["Post", "Bolag", "Dokument", "Utfall", "Meddelande"]).assign(
        Utfall=lambda f: f["Utfall"].map(lambda s: STATE_LABELS.get(s, s))
    )


def pushes_of(company_id: str) -> set[int]:
    """The push runs that sent (or tried) an item of the company."""
    with Outbox(Paths.from_env()) as outbox:
        found = outbox.con.execute(
            "select distinct a.run_id from retl_attempts a join retl_items i using (item_id) "
            "where i.company_id = ?",
            [company_id],
        ).fetchall()
    return {row[0] for row in found}


def audit(company_id: str, limit: int = 500) -> pd.DataFrame:
    """Who planned, approved, rejected and sent what, newest first."""
    with Outbox(Paths.from_env()) as outbox:
        rows = [row for row in outbox.audit() if row[6] in (company_id, None)]
    rows = rows[-limit:][::-1]
    return pd.DataFrame(
        [(row[1], row[2], row[3], row[5], row[9]) for row in rows],
        columns=["Tid (UTC)", "Användare", "Händelse", "Post", "Detaljer"],
    )
