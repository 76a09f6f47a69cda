"""The ``ledgerbridge`` command.

Errors a user can act on (``LedgerbridgeError``) print as one line with a hint and exit 1;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ledgerbridge.config import DASHBOARD_APP, HOME_ENV, Paths, Settings, load_settings
from ledgerbridge.errors import ConfigError, LedgerbridgeError
from sandbox.tryton import REPLAY_SCALE

if TYPE_CHECKING:  # the pipeline imports dlt: only when a command needs it
    from ingestion.pipeline import LoadOutcome

app = typer.Typer(
    name="ledgerbridge",
    help="Connect an ERP with a Swedish accounting system, both ways, through a DuckDB warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
sandbox_app = typer.Typer(help="The practice world: the demo company's data.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
fortnox_app = typer.Typer(help="Fortnox: connect a company's books.", no_args_is_help=True)
app.add_typer(fortnox_app, name="fortnox")
sie_app = typer.Typer(help="SIE 4 files: check them, and look inside them.", no_args_is_help=True)
app.add_typer(sie_app, name="sie")

console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="ledgerbridge.toml to use (default: ./ledgerbridge.toml, "
        "then $LEDGERBRIDGE_HOME/ledgerbridge.toml)",
    ),
]


def main() -> None:
    try:
        app()
    except OSError as exc:
        # a path the user gave cannot be used (not a folder, not writable, disk full…)
        where = f": {exc.filename}" if exc.filename else ""
        err_console.print(
            f"[bold red]error\\[os][/]: {escape(exc.strerror or str(exc))}{escape(where)}",
            highlight=False,
        )
        sys.exit(1)
    except LedgerbridgeError as exc:
        err_console.print(
            f"[bold red]error\\[{exc.code}][/]: {escape(exc.message)}", highlight=False
        )
        if exc.hint:
            err_console.print(f"[dim]hint:[/] {escape(exc.hint)}", highlight=False)
        sys.exit(exc.exit_code)


def _paths() -> Paths:
    return Paths.from_env().ensure()


@contextlib.contextmanager
def _progress() -> Iterator[Progress]:
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        yield progress


# -- steps --------------------------------------------------------------------------------
def _ingest(
    paths: Paths, settings: Settings, command: str, *, check_deletions: bool = False
) -> None:
    from ingestion.pipeline import ingest

    with _progress() as progress:
        task = progress.add_task("ingest", total=None)

        def say(message: str) -> None:
            progress.update(task, description=f"ingest: {message}")

        report = ingest(
            paths, settings, progress=say, command=command, check_deletions=check_deletions
        )
        progress.update(task, description="ingest: done", total=1, completed=1)
    for outcome in _grouped(o for o in report.outcomes if o.status == "loaded"):
        if len(outcome.rows) > 3:
            rows = f"{sum(outcome.rows.values()):,} records in {len(outcome.rows)} entities"
        else:
            rows = ", ".join(f"{v:,} {k}" for k, v in outcome.rows.items() if v)
        console.print(
            f"  loaded    {outcome.item}  [dim]{rows}{_api_calls(outcome)}[/]", highlight=False
        )
    for outcome in _grouped(o for o in report.outcomes if o.status == "unchanged"):
        why = (
            "no changes since the last read"
            if outcome.source in ("tryton", "fortnox")
            else "already loaded"
        )
        console.print(
            f"  unchanged {outcome.item}  [dim]({why}{_api_calls(outcome)})[/]", highlight=False
        )
    for note in report.notes:
        console.print(f"  [yellow]note[/]      {escape(note)}", highlight=False)


def _api_calls(outcome: LoadOutcome) -> str:
    """An API source's requests and the rate limit met, as the user may want to know."""
    stats = outcome.client
    if stats is None:
        return ""
    text = f"; {stats.requests:,} requests"
    if stats.rate_limited:
        text += f", {stats.rate_limited} answered 429 and sent again"
    if stats.refreshed:
        text += f", token refreshed {stats.refreshed}×"
    return text


def _grouped(outcomes: Iterable[LoadOutcome], most: int = 3) -> list[LoadOutcome]:
    """One line per file, or per folder where a source brought more than ``most`` files (a
    bank's monthly statements)."""
    from ingestion.pipeline import LoadOutcome

    by_source: dict[tuple[str, str], list[LoadOutcome]] = {}
    for outcome in outcomes:
        by_source.setdefault((outcome.company_id, outcome.source), []).append(outcome)
    lines = []
    for (company_id, source), group in by_source.items():
        if len(group) <= most:
            lines += group
            continue
        rows: dict[str, int] = {}
        for outcome in group:
            for key, value in outcome.rows.items():
                rows[key] = rows.get(key, 0) + value
        folder = str(Path(group[0].item).parent)
        item = f"{len(group)} files in {folder}"
        lines.append(LoadOutcome(company_id, source, item, group[0].status, rows=rows))
    return lines


def _build(paths: Paths, command: str, *, everything: bool = False) -> None:
    from ledgerbridge.build import build

    with _progress() as progress:
        task = progress.add_task("dbt build", total=None)

        def on_node(done: int, total: int, node: str) -> None:
            progress.update(task, total=total, completed=done, description=f"dbt build: {node}")

        result = build(paths, everything=everything, progress=on_node, command=command)
        done = "done" if result.nodes else "nothing to do"
        progress.update(task, description=f"dbt build: {done}")
    changed = result.changed_tables
    if changed is not None and not result.nodes:
        console.print(
            "  built     nothing: no raw data the models read changed since the last build "
            "[dim](`ledgerbridge build --all` builds everything again)[/]",
            highlight=False,
        )
        return
    console.print(
        f"  built     {result.passed} of {result.nodes} nodes passed in {result.seconds:.1f} s"
    )
    if changed is not None:
        shown = ", ".join(changed[:4])
        if len(changed) > 4:
            shown += f" and {len(changed) - 4} more"
        console.print(
            f"            only what reads the raw tables changed since the last build: {shown}",
            highlight=False,
        )
    changed_partitions = result.changed_partitions
    if changed_partitions:
        years = [f"{company} {year or '(every year)'}" for company, year in changed_partitions]
        shown = ", ".join(years[:4]) + (f" and {len(years) - 4} more" if len(years) > 4 else "")
        console.print(
            "            the ledger layer rebuilt and tested the fiscal years whose vouchers "
            f"changed: {shown}",
            highlight=False,
        )
    if result.unit_tests_skipped:
        console.print("            unit tests not rerun: the dbt project is unchanged")


def _publish(paths: Paths, command: str) -> None:
    from ledgerbridge.warehouse import publish

    with _progress() as progress:
        task = progress.add_task("publish", total=None)

        def on_table(table: str, index: int, total: int) -> None:
            progress.update(task, total=total, completed=index, description=f"publish: {table}")

        result = publish(paths, command=command, on_table=on_table)
    console.print(f"  published {len(result.tables)} tables to {result.path}", highlight=False)


# -- commands -----------------------------------------------------------------------------
@app.command()
def ingest(
    config: ConfigOption = None,
    check_deletions: Annotated[
        bool,
        typer.Option(
            "--check-deletions",
            help="Compare the ERP's id lists now to find deleted records (otherwise done "
            "every deletion_check_hours).",
        ),
    ] = False,
) -> None:
    """Load every configured source (SIE folders, ERP exports, Tryton) into warehouse.duckdb;
    Tryton is read incrementally (only what changed since the last run)."""
    paths = _paths()
    _ingest(
        paths, load_settings(paths, config), "ledgerbridge ingest", check_deletions=check_deletions
    )


@app.command()
def build(
    everything: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Build every model and test, not only those that read raw data changed since "
            "the last build.",
        ),
    ] = False,
) -> None:
    """Build and test the dbt models (staging → marts) in warehouse.duckdb: what reads raw data
    changed since the last build, or everything when the dbt project changed."""
    _build(_paths(), "ledgerbridge build", everything=everything)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def dbt(ctx: typer.Context) -> None:
    """Run any dbt command on this home's warehouse, under the writer lock, with the models of
    absent sources disabled as in `ledgerbridge build`. Examples: ledgerbridge dbt build
    --select fct_gl_entries+ ; ledgerbridge dbt docs generate"""
    from ledgerbridge.build import dbt_command

    raise typer.Exit(dbt_command(_paths(), list(ctx.args)))


@app.command()
def publish() -> None:
    """Copy the marts to serving.duckdb (new file, atomic rename) for the dashboards."""
    _publish(_paths(), "ledgerbridge publish")


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port for the dashboards.", min=1, max=65535)] = 8501,
    address: Annotated[
        str,
        typer.Option(help="Address to listen on; 0.0.0.0 exposes the dashboards to your network."),
    ] = "localhost",
) -> None:
    """Serve the dashboards (Streamlit) on the published snapshot."""
    _serve(_paths(), port, address)


def _serve(paths: Paths, port: int, address: str) -> None:
    _check_port_free(address, port)
    host = "localhost" if address in ("localhost", "127.0.0.1", "0.0.0.0") else address
    url = f"http://{host}:{port}"
    console.print(f"[bold green]Dashboards:[/] {url}  [dim](Ctrl-C stops)[/]", highlight=False)
    home = paths.home.resolve()
    env = dict(os.environ, **{HOME_ENV: str(home)})
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARD_APP),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        # the identity provider's [auth] settings for st.login, kept with the home
        "--secrets.files",
        str(home / ".streamlit" / "secrets.toml"),
    ]
    # streamlit takes this process's place: a SIGTERM to the pid `serve` started as (a
    # service manager's, a test's) reaches the server itself, and no orphan is left behind
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, env)


def _check_port_free(address: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1" if address == "localhost" else address, port))
        except OSError:
            raise LedgerbridgeError(
                f"port {port} on {address} is already in use (are the dashboards already running?)",
                hint="open the running dashboards, stop them, or pick another port with --port",
            ) from None


class ErpChoice(StrEnum):
    tryton = "tryton"
    files = "files"


class AccountingChoice(StrEnum):
    fortnox = "fortnox"
    sie = "sie"


@app.command()
def demo(
    seed: Annotated[
        int, typer.Option(help="Seed of the demo company: the same seed gives the same files.")
    ] = 42,
    scale: Annotated[
        int,
        typer.Option(
            help="Target number of general-ledger rows over the two years (the ERP replay "
            "takes 3–5 minutes per 1000 the first time; it is cached after)."
        ),
    ] = REPLAY_SCALE,
    broken_year: Annotated[
        bool, typer.Option("--broken-year", help="Fiscal years July–June.")
    ] = False,
    erp: Annotated[
        ErpChoice,
        typer.Option(
            help="ERP side: the sandbox Tryton seeded with the story, or the story's JSON "
            "export files (quicker; no ERP server)."
        ),
    ] = ErpChoice.tryton,
    accounting: Annotated[
        AccountingChoice,
        typer.Option(
            help="Accounting side: the Fortnox sandbox holding the books, read over the "
            "Fortnox API, or the books' SIE 4E export files."
        ),
    ] = AccountingChoice.fortnox,
    second_company: Annotated[
        bool,
        typer.Option(
            "--second-company",
            help="Add a second company beside Demo AB: Demo Sie AB (demo_sie_ab), its books "
            "as SIE 4E files and its ERP as the JSON export (files under demo/demo_sie_ab/), "
            "fiscal years laid out the other way (July–June unless --broken-year), and the same "
            "account, customer, article, invoice and voucher numbers as Demo AB on purpose. Both "
            "go through one ingest, build and publish.",
        ),
    ] = False,
    serve_: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the dashboards at the end.")
    ] = True,
    port: Annotated[int, typer.Option(help="Port for the dashboards.", min=1, max=65535)] = 8501,
) -> None:
    """Generate Demo AB, start its sandbox ERP and Fortnox sandbox, ingest, build, publish and
    serve the dashboards (with --second-company, Demo Sie AB beside it)."""
    from ledgerbridge.demo import SECOND_COMPANY_NAME, run_demo
    from ledgerbridge.users import DEMO_LOGINS_FILENAME, create_demo_users

    paths = _paths()
    if serve_:
        _check_port_free("localhost", port)
    with _progress() as progress:
        task = progress.add_task("generate Demo AB", total=None)

        def on_day(day: int, total: int) -> None:
            progress.update(task, total=total, completed=day)

        def report(step: str) -> None:
            progress.console.print(f"  {step}", highlight=False)

        def on_replay(done: int, total: int, what: str) -> None:
            progress.update(task, completed=done, total=total, description=what)

        def on_second_day(day: int, total: int) -> None:
            progress.update(
                task, total=total, completed=day, description=f"generate {SECOND_COMPANY_NAME}"
            )

        with run_demo(
            paths,
            seed=seed,
            scale=scale,
            broken_year=broken_year,
            erp=erp.value,
            accounting=accounting.value,
            second_company=second_company,
            on_day=on_day,
            report=report,
            on_replay=on_replay,
            on_second_day=on_second_day,
        ) as session:
            progress.update(task, description="Demo AB: ready")
            progress.stop()
            result = session.generated
            for generated in (result, session.second):
                if generated is None:
                    continue
                console.print(
                    f"  generated {generated.options.company_name}: {generated.gl_rows:,} GL "
                    f"rows in {generated.vouchers:,} vouchers, "
                    f"{sum(generated.erp_records.values()):,} ERP records, "
                    f"{len(generated.ground_truth)} planted discrepancies → {generated.folder}",
                    highlight=False,
                )
            if session.erp is not None:
                console.print(
                    f"  sandbox ERP (Tryton) running at {session.erp.url} database "
                    f"{session.erp.database}",
                    highlight=False,
                )
            if session.books is not None:
                console.print(
                    f"  Fortnox sandbox (the books) running at {session.books.url}",
                    highlight=False,
                )
            _ingest(paths, session.settings, "ledgerbridge demo")
            _build(paths, "ledgerbridge demo")
            _publish(paths, "ledgerbridge demo")
            logins = create_demo_users(paths)
    console.print(
        f"\n[bold]Demo AB is ready.[/] The planted discrepancies are listed in "
        f"{result.ground_truth_file}.",
        highlight=False,
    )
    if session.second is not None:
        console.print(
            f"[bold]{session.second.options.company_name} is ready beside it[/] (its books from "
            f"SIE files, its ERP from the JSON export); its discrepancies are listed in "
            f"{session.second.ground_truth_file}.",
            highlight=False,
        )
    if session.erp is not None:
        console.print(
            f"Its ERP keeps running at {session.erp.url} (login in "
            f"{paths.sandbox / 'sandbox.json'}).",
            highlight=False,
        )
    if session.books is not None:
        console.print(
            f"Its Fortnox keeps running at {session.books.url} (OAuth client in "
            f"{paths.sandbox / 'fortnox.json'}).",
            highlight=False,
        )
    if session.erp is not None or session.books is not None:
        console.print("Stop the sandboxes with `ledgerbridge sandbox down`.")
    console.print(
        f"\n[bold]Dashboard logins[/] (one per role; kept in {paths.home / DEMO_LOGINS_FILENAME}):",
        highlight=False,
    )
    for name, role, password in logins:
        console.print(f"  {role.name:<11} {name:<16} {password}", highlight=False)
    if serve_:
        _serve(paths, port, "localhost")
    else:
        console.print("Serve the dashboards with: [bold]ledgerbridge serve[/]")


@app.command()
def status() -> None:
    """What is loaded, when, how many rows, and the last build and publish."""
    from ledgerbridge.status import collect_status

    paths = _paths()
    report = collect_status(paths)
    console.print(f"[bold]Home[/] {paths.home}", highlight=False)
    if report.lock_holder:
        console.print(f"[yellow]Being written by {report.lock_holder}[/]", highlight=False)
    if report.sandbox_erp:
        console.print(f"[bold]Sandbox ERP[/] running at {report.sandbox_erp}", highlight=False)
    if report.sandbox_fortnox:
        console.print(
            f"[bold]Fortnox sandbox[/] running at {report.sandbox_fortnox}", highlight=False
        )
    runs = Table("step", "status", "started (UTC)", "finished", "summary", title="Last runs")
    for run in report.runs:
        runs.add_row(run.step, run.status, run.started_at, run.finished_at or "", run.brief)
    console.print(runs if report.runs else "No runs yet: try `ledgerbridge demo`.")
    if report.raw_tables:
        raw = Table("dataset", "table", "rows", title="Loaded (warehouse.duckdb)")
        for dataset, table, rows in report.raw_tables:
            raw.add_row(dataset, table, f"{rows:,}")
        console.print(raw)
    if report.sources:
        files = Table("company", "source", "item", "loaded at (UTC)", title="Sources")
        for row in report.sources:
            files.add_row(*row)
        console.print(files)
    if report.quarantined:
        table = Table("company", "file", "moved to", "why", title="Quarantined (not loaded)")
        for company, original, moved, why in report.quarantined:
            table.add_row(company, Path(original).name, moved, why[:120])
        console.print(table)
    if report.published_at:
        pub = Table("table", "rows", title=f"Published {report.published_at} (serving.duckdb)")
        for table, rows in report.published_tables:
            pub.add_row(table, f"{rows:,}")
        console.print(pub)
        if report.findings:
            findings = Table(
                "company", "kind", "document", "severity", "details",
                title=f"Reconciliation: {len(report.findings)} findings to act on (rec_findings)",
            )  # fmt: skip
            for row in report.findings:
                findings.add_row(*row)
            console.print(findings)
        elif "rec_findings" in dict(report.published_tables):
            console.print("Reconciliation: no findings, the ERP and the books agree.")
    else:
        console.print("Nothing published yet.")


@sandbox_app.command("generate")
def sandbox_generate(
    out: Annotated[Path, typer.Option(help="Folder to write into.")],
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives byte-identical files.")] = 42,
    scale: Annotated[
        int, typer.Option(help="Target number of general-ledger rows over the two years.")
    ] = 6000,
    broken_year: Annotated[
        bool, typer.Option("--broken-year", help="Fiscal years July–June.")
    ] = False,
    first_year: Annotated[
        int, typer.Option(help="Calendar year the first fiscal year starts in.")
    ] = 2024,
) -> None:
    """Write Demo AB's SIE 4E files, ERP export and ground truth to a folder."""
    from sandbox.demo_company import DemoOptions, generate

    options = DemoOptions(seed=seed, scale=scale, broken_year=broken_year, first_year=first_year)
    try:
        with _progress() as progress:
            task = progress.add_task("generate Demo AB", total=None)
            result = generate(
                options, out, progress=lambda d, t: progress.update(task, total=t, completed=d)
            )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    console.print(
        f"{result.gl_rows:,} GL rows, {result.vouchers:,} vouchers, "
        f"{sum(result.erp_records.values()):,} ERP records, "
        f"{len(result.ground_truth)} planted discrepancies → {out}",
        highlight=False,
    )


_SEED = Annotated[int, typer.Option(help="Seed of the demo company the sandbox holds.")]
_BROKEN = Annotated[bool, typer.Option("--broken-year", help="Fiscal years July–June.")]
_FIRST = Annotated[int, typer.Option(help="Calendar year the first fiscal year starts in.")]


@sandbox_app.command("up")
def sandbox_up(
    seed: _SEED = 42,
    broken_year: _BROKEN = False,
    first_year: _FIRST = 2024,
    scale: Annotated[
        int, typer.Option(help="Size of the demo story they hold (GL rows).")
    ] = REPLAY_SCALE,
    empty: Annotated[
        bool, typer.Option("--empty", help="Only the set-up company in Tryton, no business.")
    ] = False,
    tryton: Annotated[
        bool, typer.Option("--tryton/--no-tryton", help="Start the sandbox ERP (Tryton).")
    ] = True,
    fortnox: Annotated[
        bool,
        typer.Option("--fortnox/--no-fortnox", help="Start the Fortnox sandbox (the books)."),
    ] = True,
) -> None:
    """Start the sandboxes: the sandbox ERP (a real trytond holding Demo AB) and the Fortnox
    sandbox (Demo AB's books behind a Fortnox-compatible API), each on a free localhost port.
    Where they listen is written to $LEDGERBRIDGE_HOME/sandbox/sandbox.json and fortnox.json.
    The first start builds Tryton's database (a few minutes; cached for the next time)."""
    from sandbox.demo_company import DemoOptions, generate
    from sandbox.fortnox import running as fortnox_sandbox
    from sandbox.fortnox.seed import seed_from_demo
    from sandbox.tryton import server, spec_for

    paths = _paths()
    options = DemoOptions(seed=seed, broken_year=broken_year, first_year=first_year, scale=scale)
    story_folder = paths.sandbox / "demo_company"
    generated: list = []

    def story():  # generated once, for whichever sandbox needs it first
        if not generated:
            try:
                generated.append(generate(options, story_folder))
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        return generated[0]

    def report(step: str) -> None:
        console.print(f"  {step}")

    if tryton:
        already = server.running(paths)

        def database() -> tuple[Path, str]:
            if empty:
                return server.template_database(spec_for(options), report)
            with _progress() as progress:
                task = progress.add_task("replay Demo AB in Tryton", total=None)
                return server.seeded_database(
                    spec_for(options),
                    story().erp_folder,
                    report=report,
                    progress=lambda done, total, what: progress.update(
                        task, completed=done, total=total, description=what
                    ),
                )

        try:
            info = server.up(paths, database, report=report)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        state = "already running" if already else "running"
        console.print(
            f"Tryton sandbox {state}: {info.url} database {info.database}, user {info.user} "
            f"(password in {server.sandbox_file(paths)})",
            highlight=False,
        )
    if fortnox:
        already_books = fortnox_sandbox.running(paths)
        books = fortnox_sandbox.up(
            paths, lambda store: seed_from_demo(store, story().folder), report=report
        )
        state = "already running" if already_books else "running"
        console.print(
            f"Fortnox sandbox {state}: {books.url} (OAuth client in "
            f"{fortnox_sandbox.fortnox_file(paths)})",
            highlight=False,
        )
    console.print("Stop them with `ledgerbridge sandbox down`.")


@sandbox_app.command("down")
def sandbox_down() -> None:
    """Stop the sandboxes (their data stays for the next `sandbox up`)."""
    from sandbox.fortnox import running as fortnox_sandbox
    from sandbox.tryton import server

    paths = _paths()
    stopped = server.down(paths)
    books = fortnox_sandbox.down(paths)
    if stopped is None and books is None:
        console.print("No sandbox was running.")
    if stopped is not None:
        console.print(f"Stopped the Tryton sandbox at {stopped.url} (pid {stopped.pid}).")
    if books is not None:
        console.print(f"Stopped the Fortnox sandbox at {books.url} (pid {books.pid}).")


@fortnox_app.command("authorize")
def fortnox_authorize(
    company: Annotated[str, typer.Option(help="The company's id in ledgerbridge.toml.")],
    code: Annotated[
        str | None,
        typer.Option(
            help="The address Fortnox redirected to after approval, or just its code "
            "(asked for when not given)."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """The one-time step that connects a company's Fortnox: an administrator of the company
    approves ledgerbridge in Fortnox, and the tokens are kept in state.sqlite (refreshed from
    then on by themselves)."""
    from urllib.parse import parse_qs, urlsplit

    from ingestion.pipeline import fortnox_client
    from ledgerbridge.clients.fortnox_tokens import TokenStore

    paths = _paths()
    settings = load_settings(paths, config)
    target = settings.company(company)
    source = target.fortnox
    if source is None:
        raise ConfigError(
            f"{settings.source_file}: company '{company}' has no [companies.{company}.sources."
            "fortnox]",
            hint="add it with client_id, client_secret_env and redirect_uri (see the README)",
        )
    if source.sandbox:
        TokenStore(paths, company).forget()
        fortnox_client(paths, target)  # the sandbox consents by itself
        console.print(f"Company '{company}' is connected to the Fortnox sandbox.")
        return
    client = fortnox_client(paths, target)
    assert source.redirect_uri is not None
    url, state = client.authorization_url(source.redirect_uri)
    prompted = code is None
    if code is None:
        console.print(
            "1. Open this address as an administrator of the company in Fortnox, and approve "
            "ledgerbridge:\n",
            highlight=False,
        )
        console.print(f"   {url}\n", highlight=False, soft_wrap=True)
        console.print(
            f"2. Fortnox then sends the browser to {source.redirect_uri}?code=…; copy that "
            "whole address (or just the code).",
            highlight=False,
        )
        code = typer.prompt("Address or code")
    given = code.strip()
    if "code=" in given or "error=" in given:
        query = parse_qs(urlsplit(given).query)
        if query.get("error"):  # the administrator declined, or Fortnox refused the request
            reason = (query.get("error_description") or query["error"])[0]
            raise ConfigError(
                f"Fortnox did not authorize ledgerbridge: {reason}",
                hint="approve the integration as an administrator of the company (with the "
                "scopes the README lists), then run this command again",
            )
        # an address pasted now must come from the approval just asked for (CSRF)
        if prompted and query.get("state") and query["state"] != [state]:
            raise ConfigError("the address is from another authorization (its state differs)")
        given = (query.get("code") or [""])[0]
    if not given:
        raise ConfigError("no authorization code given")
    tokens = client.exchange_code(given, source.redirect_uri)
    console.print(
        f"Company '{company}' is connected to Fortnox (scopes: {tokens.scope or 'as granted'}). "
        f"The tokens are kept in {paths.state} and refreshed automatically; if they are ever "
        "refused (unused for 45 days), run this command again.",
        highlight=False,
    )


@sie_app.command("validate")
def sie_validate(
    files: Annotated[list[Path], typer.Argument(help="SIE files (any type: 1, 2, 3, 4E, 4I).")],
    strict: Annotated[
        bool, typer.Option("--strict", help="Hold the files to the SIE 4 specification.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """One line per diagnostic (CODE FILE:LINE message) and a summary; exit 1 if any file has
    errors, 0 if all are valid (warnings allowed)."""
    import json

    from ledgerbridge.formats.sie import Diagnostic, SieReader

    results = []
    for path in files:
        result: dict = {"file": str(path), "valid": False}
        try:
            with SieReader(
                path, mode="strict" if strict else "lenient", on_error="collect"
            ) as reader:
                vouchers = rows = 0
                for voucher in reader.vouchers():
                    vouchers += 1
                    rows += len(voucher.rows)
                result.update(
                    kind=reader.header.kind,
                    encoding=reader.encoding,
                    company=reader.header.company_name,
                    vouchers=vouchers,
                    rows=rows,
                    diagnostics=reader.diagnostics,
                )
        except LedgerbridgeError as exc:  # not there, not readable
            result["diagnostics"] = [
                Diagnostic("unreadable", "error", str(path), None, exc.message)
            ]
        result["valid"] = not any(d.severity == "error" for d in result["diagnostics"])
        results.append(result)
    diagnostics = [d for r in results for d in r["diagnostics"]]
    errors = sum(1 for d in diagnostics if d.severity == "error")
    if as_json:
        for result in results:
            result["diagnostics"] = [d.as_dict() for d in result["diagnostics"]]
        print(
            json.dumps(
                {"files": results, "errors": errors, "warnings": len(diagnostics) - errors},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for diagnostic in diagnostics:
            print(diagnostic)
        valid = sum(1 for r in results if r["valid"])
        print(
            f"{len(results)} file{'s' if len(results) != 1 else ''}: {valid} valid, "
            f"{len(results) - valid} not valid; {errors} error{'s' if errors != 1 else ''}, "
            f"{len(diagnostics) - errors} warning{'s' if len(diagnostics) - errors != 1 else ''}"
        )
    raise typer.Exit(1 if errors else 0)


@sie_app.command("convert")
def sie_convert(
    file: Annotated[Path, typer.Argument(help="A SIE file.")],
    to: Annotated[Path, typer.Option("--to", help="Folder for the Parquet files.")],
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse deviations from the spec.")
    ] = False,
) -> None:
    """Write the file's voucher rows, vouchers, balances, period balances and accounts as
    Parquet tables (a file with errors is refused and nothing is written)."""
    import shutil
    import tempfile

    from ledgerbridge.formats.sie import SieReader
    from ledgerbridge.formats.sie.convert import convert

    to.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".sie-convert-", dir=to))
    try:
        with SieReader(file, mode="strict" if strict else "lenient") as reader:
            counts = convert(reader, staging)
        for produced in staging.iterdir():
            os.replace(produced, to / produced.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for name, count in counts.items():
        console.print(f"  {to / (name + '.parquet')}  [dim]{count:,} rows[/]", highlight=False)


@app.command("report-pack")
def report_pack(
    company: Annotated[
        list[str] | None,
        typer.Option(help="The company's id (default: every company); may be repeated."),
    ] = None,
    month: Annotated[
        str | None,
        typer.Option(help="The month, YYYY-MM (default: each company's last closed month)."),
    ] = None,
) -> None:
    """Write the month-end report pack (an Excel workbook: income statement, balance sheet,
    budget vs actual, AR/AP aging, projects, inventory, open findings) from the published
    snapshot to $LEDGERBRIDGE_HOME/reports/<company>/, and print where."""
    from ledgerbridge.report_pack import write_report_packs

    for path in write_report_packs(_paths(), company, month):
        console.print(f"wrote {path}", highlight=False, soft_wrap=True)


if __name__ == "__main__":  # pragma: no cover
    main()


# the reverse ETL's commands (plan, approve, reject, push, runs, schedule) and `users`
def _register_reverse_etl() -> None:
    from ledgerbridge import cli_users
    from ledgerbridge.cli_reverse_etl import register, register_schedules

    register(app, _paths, console)
    register_schedules(app, _paths, console)
    cli_users.register(app, _paths, console)


_register_reverse_etl()
