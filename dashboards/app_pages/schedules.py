"""Scheman: what runs when (cron in a time zone), added, edited, paused and resumed here.
`ledgerbridge scheduler` runs them; the last outcome of each is shown."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from dashboards import auth, notices, tables
from dashboards.formatting import error_text
from ledgerbridge.config import Paths
from ledgerbridge.errors import ConfigError
from ledgerbridge.users import Role
from reverse_etl.schedules import DEFAULT_TIMEZONE, JOBS, Schedules, now_utc

user = auth.require(Role.approver)
st.title("Scheman")
paths = Paths.from_env()


def next_run(schedule) -> str:
    if not schedule.enabled:
        return "pausad"
    since = datetime.fromisoformat(schedule.last_run_at or schedule.created_at)
    due = schedule.next_due(max(since, now_utc()))
    return f"{due:%Y-%m-%d %H:%M} UTC"


with Schedules(paths) as schedules:
    every = schedules.all()

notices.show()
editable = auth.acts_for_every_company(user)
if not editable:
    st.caption("Scheman gäller alla bolag: de ändras av en attestant utan bolagsbegränsning.")

if every:
    listing = pd.DataFrame(
        {
            "Namn": [s.name for s in every],
            "Jobb": [s.job for s in every],
            "Cron": [s.cron for s in every],
            "Tidszon": [s.timezone for s in every],
            "Aktiv": [s.enabled for s in every],
            "Ägare": [s.owner for s in every],
            "Nästa körning": [next_run(s) for s in every],
            "Senast": [s.last_run_at or "" for s in every],
            "Utfall": [s.last_status or "" for s in every],
        }
    )
    # the key follows the list: a row chosen before a schedule was removed must not
    # silently become the next schedule
    names = ",".join(s.name for s in every)
    event = tables.show(listing, "scheman", key=f"schedules:{names}", selectable=True)
    chosen = tables.selected_row(event, listing)
else:
    st.info("Inga scheman ännu. Lägg till ett nedan; `ledgerbridge scheduler` kör dem.")
    chosen = None


def save(action) -> None:
    acting = auth.still_acting_for_every_company()
    if acting is None:
        return
    try:
        with Schedules(paths) as schedules:
            message = action(schedules)
    except ConfigError as exc:
        st.error(error_text(exc))
        return
    notices.leave(message, "success")
    st.rerun()


if not editable:
    st.stop()
if chosen is not None:
    current = next(s for s in every if s.name == chosen["Namn"])
    st.subheader(f"Ändra {current.name}")
    with st.form("edit_schedule"):
        job = st.selectbox(
            "Jobb",
            list(JOBS),
            index=list(JOBS).index(current.job),
            format_func=lambda j: f"{j}: {JOBS[j]}",
            key=f"edit_job:{current.name}",
        )
        cron = st.text_input(
            "Cron (minut timme dag månad veckodag)", value=current.cron,
            key=f"edit_cron:{current.name}",
        )  # fmt: skip
        timezone = st.text_input(
            "Tidszon", value=current.timezone, key=f"edit_timezone:{current.name}"
        )
        enabled = st.checkbox("Aktiv", value=current.enabled, key=f"edit_enabled:{current.name}")
        saved = st.form_submit_button("Spara", type="primary")
    pause, remove, _ = st.columns([1, 1, 4])

    def toggle(schedules: Schedules) -> str:
        schedules.edit(current.name, enabled=not current.enabled, owner=user.name)
        return f"{current.name} {'återupptaget' if not current.enabled else 'pausat'}"

    def delete(schedules: Schedules) -> str:
        schedules.remove(current.name)
        return f"{current.name} borttaget"

    def change(schedules: Schedules) -> str:
        schedules.edit(
            current.name,
            job=job,
            cron=cron.strip(),
            timezone=timezone.strip(),
            enabled=enabled,
            owner=user.name,
        )
        return f"{current.name} sparat"

    if pause.button("Återuppta" if not current.enabled else "Pausa", key="toggle_schedule"):
        save(toggle)
    if remove.button("Ta bort", key="remove_schedule"):
        save(delete)
    if saved:
        save(change)

st.subheader("Nytt schema")
with st.form("add_schedule", clear_on_submit=False):
    name = st.text_input("Namn", placeholder="nattlig-synk", max_chars=40, key="new_name")
    job = st.selectbox("Jobb", list(JOBS), format_func=lambda j: f"{j}: {JOBS[j]}", key="new_job")
    cron = st.text_input(
        "Cron (minut timme dag månad veckodag)", value="0 6 * * 1-5", key="new_cron"
    )
    timezone = st.text_input("Tidszon", value=DEFAULT_TIMEZONE, key="new_timezone")
    added = st.form_submit_button("Lägg till", type="primary")


def create(schedules: Schedules) -> str:
    schedules.add(name.strip(), job, cron.strip(), user.name, timezone=timezone.strip())
    return f"{name.strip()} tillagt"


if added:
    save(create)
