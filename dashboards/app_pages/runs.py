"""Körhistorik: every ingest, build, publish and push with its outcome; a push opens to what
happened to each item (and the target's message when it failed); the audit log says who
approved what."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboards import auth, filters, outbox_view, tables
from ledgerbridge.users import Role

user = auth.require(Role.approver)
st.title("Körhistorik")
sel = filters.selection()

STATUS = {"ok": "OK", "failed": "Misslyckad", "running": "Pågår"}
STEPS = {"ingest": "Inläsning", "build": "Bygge", "publish": "Publicering", "push": "Skickning"}


def brief(step: str, status: str, summary: str) -> str:
    body = json.loads(summary or "{}")
    if status == "failed":
        return str(body.get("error", ""))[:300]
    if step == "build":
        return f"{body.get('passed', 0)}/{body.get('nodes', 0)} noder på {body.get('seconds', 0)} s"
    if step == "publish":
        return f"{len(body.get('tables', {}))} tabeller"
    if step == "ingest":
        loaded, unchanged = len(body.get("loaded", [])), len(body.get("unchanged", []))
        return f"{loaded} inlästa, {unchanged} oförändrade"
    if step == "push":
        return ", ".join(f"{k}: {v}" for k, v in body.items() if not isinstance(v, dict | list))
    return ""


runs = outbox_view.runs()
if user.companies:
    # a user who sees some companies only: their pushes, and the steps run for their company;
    # what ran for every company at once names the others' files and is not shown
    mine = outbox_view.pushes_of(sel.company_id)
    runs = runs[runs["run_id"].isin(mine) | (runs["company_id"] == sel.company_id)]
if runs.empty:
    st.info("Inga körningar ännu.")
    st.stop()
steps = st.multiselect(
    "Steg", list(STEPS), format_func=STEPS.get, placeholder="Alla", key="run_steps"
)
shown = runs[runs["step"].isin(steps)] if steps else runs
listing = pd.DataFrame(
    {
        "Körning": shown["run_id"],
        "Steg": shown["step"].map(lambda s: STEPS.get(s, s)),
        "Start (UTC)": shown["started_at"],
        "Klar": shown["finished_at"].fillna(""),
        "Status": shown["status"].map(lambda s: STATUS.get(s, s)),
        "Sammanfattning": [
            brief(step, status, summary)
            for step, status, summary in zip(
                shown["step"], shown["status"], shown["summary"], strict=True
            )
        ],
    }
)
st.caption("Klicka på en körning för att se vad den gjorde med varje post.")
# the key follows the newest run: a new run shifts the rows under a chosen one
newest = int(runs["run_id"].iloc[0])
event = tables.show(listing, "korhistorik", key=f"runs:{newest}", selectable=True)
chosen = tables.selected_row(event, listing)
pushes = runs[runs["step"] == "push"]
if chosen is not None:
    run_id, title = int(chosen["Körning"]), f"Körning {chosen['Körning']}: {chosen['Steg']}"
elif not pushes.empty:
    run_id, title = int(pushes["run_id"].iloc[0]), "Senaste skickningen"
else:
    run_id = None
if run_id is not None:
    attempts = outbox_view.attempts(run_id, sel.company_id)
    st.subheader(title)
    outcomes = attempts["Utfall"].value_counts().to_dict() if not attempts.empty else {}
    counted = ", ".join(f"{count} {outcome.lower()}" for outcome, count in outcomes.items())
    st.markdown(f"Körning {run_id}: {counted or 'inga poster skickade'}")
    if not attempts.empty:
        tables.show(attempts, f"korning-{run_id}", key="run_attempts")

st.subheader("Logg över beslut")
audit = outbox_view.audit(sel.company_id)
if audit.empty:
    st.caption("Inget planerat eller attesterat ännu.")
else:
    tables.show(audit, f"attestlogg-{sel.company_id}", key="audit")
