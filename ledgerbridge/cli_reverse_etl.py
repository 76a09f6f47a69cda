"""The reverse-ETL commands: plan, approve, reject, push, runs (reverse_etl/ does the work)."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledgerbridge.config import Paths, load_settings
from ledgerbridge.errors import ConfigError, NotReadyError

USER_ENV = "LEDGERBRIDGE_USER"
#: the jobs a schedule can run (reverse_etl.schedules.JOBS), for the options' help
JOB_HELP = (
    "pipeline (ingest → build → publish → plan → push what is approved), push, or report_pack "
    "(the month-end report pack of each month closed since the last one)"
)
DEFAULT_TIMEZONE = "Europe/Stockholm"

UserOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help=f"Who does this, for the audit log (default: ${USER_ENV}, else your login name).",
    ),
]


def current_user(given: str | None) -> str:
    user = (given or os.environ.get(USER_ENV) or getpass.getuser() or "").strip()
    if not user:
        raise ConfigError("who is doing this is unknown", hint="pass --as NAME")
    return user


def _amount(text: str) -> str:
    return f"{Decimal(text):>14,.2f}".replace(",", " ")


def _show_items(console: Console, items: list, title: str) -> None:
    """The preview: each item with what it writes, before and after."""
    table = Table("item", "company", "state", "what", "date", "rows / changes", title=title)
    for item in items:
        payload = item.payload
        if payload.get("rows"):
            what = f"{payload.get('text', '')}\nfinding: {payload.get('finding', '')}"
            detail = "\n".join(
                f"{row['account']} {row.get('cost_centre') or '':<6} "
                f"{row.get('project') or '':<6}{_amount(row['amount'])}"
                for row in payload["rows"]
            )
        else:
            what = f"{payload.get('operation', item.operation)} {item.source_document}"
            detail = "\n".join(
                f"{field}: {item.before.get(field) or '—'} → {value}"
                for field, value in item.after.items()
            )
        table.add_row(
            str(item.item_id), item.company_id, str(item.state), what,
            payload.get("date", ""), detail,
        )  # fmt: skip
    console.print(table)


def register(app: typer.Typer, paths: Callable[[], Paths], console: Console) -> None:
    """Add the commands to the ``ledgerbridge`` app (``paths`` gives the home's Paths)."""

    @app.command()
    def plan(
        booking_date: Annotated[
            str | None,
            typer.Option(
                "--date",
                help="Date the vouchers are booked on (YYYY-MM-DD; default the date of the "
                "voucher each corrects, within the books' last fiscal year and after a "
                "locked period).",
            ),
        ] = None,
        user: UserOption = None,
    ) -> None:
        """Work out what to write back (correction vouchers for findings, …) from the
        published marts, record it as a plan in the outbox and show it."""
        from reverse_etl.outbox import AUTOMATIC
        from reverse_etl.plan import plan as make_plan

        day = None
        if booking_date:
            try:
                day = date.fromisoformat(booking_date)
            except ValueError:
                raise ConfigError(
                    f"--date {booking_date!r} is not a date", hint="write it as YYYY-MM-DD"
                ) from None
        home = paths()
        result = make_plan(home, load_settings(home), current_user(user), booking_date=day)
        console.print(
            f"Plan {result.plan_id}: {result.proposed} items proposed, {len(result.new)} new "
            f"(the others are in the outbox already), {len(result.superseded)} superseded",
            highlight=False,
        )
        automatic = [item for item in result.new if item.approved_by == AUTOMATIC]
        if automatic:
            _show_items(
                console, automatic,
                "Approved by the configuration ([reverse_etl] approve_automatically)",
            )  # fmt: skip
        if result.waiting:
            _show_items(console, result.waiting, "Waiting for approval (ledgerbridge approve)")
        else:
            console.print("Nothing waits for approval.")

    @app.command()
    def approve(
        items: Annotated[list[int] | None, typer.Argument(help="Outbox item numbers.")] = None,
        all_planned: Annotated[
            bool, typer.Option("--all", help="Every item waiting for approval.")
        ] = False,
        comment: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
        user: UserOption = None,
    ) -> None:
        """Approve planned items: only approved items are pushed. Records who and when."""
        _decide(items, all_planned, comment, user, approve=True)

    @app.command()
    def reject(
        items: Annotated[list[int], typer.Argument(help="Outbox item numbers.")],
        comment: Annotated[str | None, typer.Option(help="Why, for the audit log.")] = None,
        user: UserOption = None,
    ) -> None:
        """Reject planned items: they are never pushed, nor planned again."""
        _decide(items, False, comment, user, approve=False)

    def _decide(
        ids: list[int] | None, everything: bool, comment: str | None, user: str | None,
        *, approve: bool,
    ) -> None:  # fmt: skip
        from reverse_etl.outbox import Outbox, State

        if not ids and not everything:
            raise ConfigError(
                "name the items to " + ("approve" if approve else "reject"),
                hint="give their numbers (`ledgerbridge plan` lists them), or --all",
            )
        who = current_user(user)
        with Outbox(paths()) as outbox:
            chosen = (
                outbox.items(states=[State.PLANNED])
                if everything
                else [outbox.item(item_id) for item_id in ids or []]
            )
            if not chosen:
                raise NotReadyError("nothing waits for approval", hint="run `ledgerbridge plan`")
            decided = outbox.decide(chosen, who, approve=approve, comment=comment)
        verb = "approved" if approve else "rejected"
        console.print(f"{len(decided)} items {verb} by {who}", highlight=False)

    @app.command()
    def push(
        plan_id: Annotated[
            int | None, typer.Option("--plan", help="Only this plan's approved items.")
        ] = None,
        user: UserOption = None,
    ) -> None:
        """Send the approved items to their targets (the company's Fortnox, else a SIE 4I
        file in outbox/), each exactly once; an interrupted push is settled first."""
        from reverse_etl.push import push as run_push

        home = paths()
        result = run_push(home, load_settings(home), current_user(user), plan_id=plan_id)
        for item in result.recovered:
            console.print(
                f"  item {item.item_id}: found written by an interrupted push", highlight=False
            )
        for item in result.superseded:
            console.print(
                f"  item {item.item_id}: no longer proposed by the published data, not sent",
                highlight=False,
            )
        if result.nothing:
            message, hint = result.nothing
            raise NotReadyError(message, hint=hint)
        targets = sorted({item.target_id for item in result.posted if item.target_id})
        shown = ", ".join(targets[:5]) + (
            f" and {len(targets) - 5} more" if len(targets) > 5 else ""
        )
        console.print(
            f"Push {result.run_id}: {len(result.posted)} posted, {len(result.failed)} failed"
            + (f" → {shown}" if targets else ""),
            highlight=False,
        )
        for item, message in result.failed:
            console.print(f"  item {item.item_id} failed: {message}", highlight=False)
        for item, message in result.uncertain:
            console.print(
                f"  item {item.item_id} not known to have arrived ({message}); the next push "
                "looks it up before sending it again",
                highlight=False,
            )
        if result.failed or result.uncertain:
            raise typer.Exit(1)

    @app.command()
    def verify() -> None:
        """Pushed items against what the next ingestion read back: posted but absent,
        present but not recorded, written but still different. Exit 1 if any."""
        from reverse_etl.verify import verify as run_verify

        home = paths()
        result = run_verify(home, load_settings(home))
        console.print(
            f"{result.posted} items posted; {result.read_back} read back in the ledger "
            f"published {result.published_at or '(nothing published yet)'}",
            highlight=False,
        )
        if result.discrepancies:
            table = Table("kind", "company", "item", "document", "details")
            for d in result.discrepancies:
                table.add_row(d.kind, d.company_id, str(d.item_id or ""), d.document, d.details)
            console.print(table)
        if result.problems:
            raise typer.Exit(1)

    @app.command()
    def runs(
        limit: Annotated[int, typer.Option(help="How many runs to show.", min=1)] = 20,
    ) -> None:
        """Run history (ingest, build, publish, push) and each push's outcome per item."""
        from ledgerbridge.state import connect
        from reverse_etl.outbox import Outbox

        home = paths()
        con = connect(home)
        try:
            rows = con.execute(
                "select run_id, step, started_at, finished_at, status, summary from runs "
                "order by run_id desc limit ?",
                [limit],
            ).fetchall()
        finally:
            con.close()
        if not rows:
            console.print("No runs yet.")
            return
        table = Table("run", "step", "started (UTC)", "finished", "status", "summary")
        for run_id, step, started, finished, status, summary in rows:
            table.add_row(str(run_id), step, started, finished or "", status, _brief(summary))
        console.print(table)
        with Outbox(home) as outbox:
            for run_id, step, *_ in rows:
                if step != "push":
                    continue
                outcomes = outbox.attempts(run_id)
                if outcomes:
                    detail = Table("item", "company", "document", "outcome", "message",
                                   title=f"Push {run_id}")  # fmt: skip
                    for item_id, company_id, document, outcome, message in outcomes:
                        detail.add_row(str(item_id), company_id, document, outcome, message or "")
                    console.print(detail)


def register_schedules(app: typer.Typer, paths: Callable[[], Paths], console: Console) -> None:
    """``ledgerbridge schedule …`` (what runs when) and ``ledgerbridge scheduler`` (runs it)."""
    schedule_app = typer.Typer(
        help="Schedules: which job runs when (cron, Europe/Stockholm).", no_args_is_help=True
    )
    app.add_typer(schedule_app, name="schedule")

    def show(schedules: list) -> None:
        table = Table("name", "job", "cron", "time zone", "enabled", "owner", "last run (UTC)",
                      "last status", "failing since", title="Schedules")  # fmt: skip
        for s in schedules:
            table.add_row(
                s.name, s.job, s.cron, s.timezone, "yes" if s.enabled else "paused", s.owner,
                s.last_run_at or "", s.last_status or "", s.failing_since or "",
            )  # fmt: skip
        console.print(table if schedules else "No schedules: `ledgerbridge schedule add`.")

    @schedule_app.command("add")
    def add(
        name: Annotated[str, typer.Argument(help="A name for it, e.g. nightly.")],
        cron: Annotated[str, typer.Option(help="When: minute hour day month weekday.")],
        job: Annotated[str, typer.Option(help=f"What: {JOB_HELP}.")] = "pipeline",
        timezone: Annotated[str, typer.Option(help="The zone the cron is read in.")] = (
            DEFAULT_TIMEZONE
        ),
        paused: Annotated[bool, typer.Option(help="Add it paused.")] = False,
        user: UserOption = None,
    ) -> None:
        """Add a schedule (owned by you)."""
        from reverse_etl.schedules import Schedules

        with Schedules(paths()) as schedules:
            show([schedules.add(name, job, cron, current_user(user), timezone=timezone,
                                enabled=not paused)])  # fmt: skip

    @schedule_app.command("edit")
    def edit(
        name: str,
        cron: Annotated[str | None, typer.Option(help="A new cron expression.")] = None,
        job: Annotated[str | None, typer.Option(help=f"A new job: {JOB_HELP}.")] = None,
        timezone: Annotated[str | None, typer.Option(help="A new time zone.")] = None,
        user: UserOption = None,
    ) -> None:
        """Change a schedule; you become its owner."""
        from reverse_etl.schedules import Schedules

        with Schedules(paths()) as schedules:
            show([schedules.edit(name, cron=cron, job=job, timezone=timezone,
                                 owner=current_user(user))])  # fmt: skip

    @schedule_app.command("pause")
    def pause(name: str) -> None:
        """Stop running a schedule until it is resumed."""
        from reverse_etl.schedules import Schedules

        with Schedules(paths()) as schedules:
            show([schedules.edit(name, enabled=False)])

    @schedule_app.command("resume")
    def resume(name: str) -> None:
        """Run a paused schedule again."""
        from reverse_etl.schedules import Schedules

        with Schedules(paths()) as schedules:
            show([schedules.edit(name, enabled=True)])

    @schedule_app.command("remove")
    def remove(name: str) -> None:
        """Delete a schedule."""
        from reverse_etl.schedules import Schedules

        with Schedules(paths()) as schedules:
            schedules.remove(name)
        console.print(f"schedule {name} removed", highlight=False)

    @schedule_app.command("list")
    def list_schedules() -> None:
        """The schedules, and how each one's last run went."""
        from reverse_etl.schedules import Schedules

        with Schedules(paths()) as schedules:
            show(schedules.all())

    @app.command()
    def scheduler(
        once: Annotated[
            bool, typer.Option("--once", help="Run what is due now, then stop.")
        ] = False,
        poll: Annotated[
            float, typer.Option(help="Seconds between looks at the schedules.", min=1)
        ] = 30.0,
    ) -> None:
        """Run the schedules as they come due, one job at a time (the only warehouse writer
        while it runs a job); failures are alerted as [alerts] configures."""
        from reverse_etl.scheduler import serve

        serve(paths(), poll_seconds=poll, once=once,
              say=lambda line: console.print(line, highlight=False))  # fmt: skip


def _brief(summary: str) -> str:
    try:
        data = json.loads(summary)
    except ValueError:
        return summary[:80]
    if not isinstance(data, dict):
        return str(data)[:80]
    return ", ".join(f"{k}={v}" for k, v in data.items() if not isinstance(v, (dict, list)))[:100]
