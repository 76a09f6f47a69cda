"""Run the configured sources into warehouse.duckdb, one whole file (or export) per load.

Every load happens under the warehouse writer lock. A file that fails its checks is reported
with the reason and nothing of it lands; the other files still load, and the run as a whole
fails so that nobody mistakes a partial ingest for a complete one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dlt
import pyarrow as pa
from dlt.pipeline.exceptions import PipelineStepFailed

import ingestion  # noqa: F401  # sets dlt's offline defaults before dlt is imported
from ingestion.arrow_tables import RawTable
from ingestion.files import FileRows, file_sha256, find_files
from ingestion.quarantine import full_diagnostics, quarantine
from ingestion.sources import bank, budget, einvoice, erp_files, fortnox, mapped, sie, tryton
from ledgerbridge.clients.fortnox import FortnoxClient
from ledgerbridge.clients.fortnox_tokens import TokenStore
from ledgerbridge.clients.tryton import TrytonClient
from ledgerbridge.config import Company, Paths, Settings
from ledgerbridge.errors import (
    InputNotFoundError,
    InvalidInputError,
    LedgerbridgeError,
    find_user_error,
)
from ledgerbridge.formats.camt import OtherMessage
from ledgerbridge.formats.mapping import load_mapping
from ledgerbridge.formats.sie import SieReader
from ledgerbridge.state import recorded_run
from ledgerbridge.warehouse import connect_warehouse, warehouse_busy, writer_lock
from sandbox.tryton.server import SandboxInfo, sandbox_file


@dataclass
class LoadOutcome:
    company_id: str
    source: str  # "sie" | "erp_files" | "tryton" | "fortnox" | a file kind
    item: str  # the file or folder, as the user named it
    status: str  # "loaded" | "unchanged" | "skipped" | "failed"
    rows: dict[str, int] = field(default_factory=dict)
    error: LedgerbridgeError | None = None
    #: Records read over the wire, where that differs from what landed (Tryton's overlap).
    read: int | None = None
    #: An API source's requests, 429s and retries (FortnoxClient.stats).
    client: object | None = None


@dataclass
class IngestReport:
    outcomes: list[LoadOutcome] = field(default_factory=list)
    #: Things worth saying that are not failures (an empty folder, files ignored).
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[LoadOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def summary(self) -> dict:
        return {
            "loaded": [o.item for o in self.outcomes if o.status == "loaded"],
            "unchanged": [o.item for o in self.outcomes if o.status == "unchanged"],
            "failed": {o.item: str(o.error) for o in self.failed},
            "rows": {
                f"{o.company_id}:{o.item}": sum(o.rows.values())
                for o in self.outcomes
                if o.status == "loaded"
            },
        }


class IngestFailed(InvalidInputError):
    code = "ingest-failed"

    def __init__(self, report: IngestReport) -> None:
        # each failure with its own hint: an API source's (authorize again, start the sandbox)
        # says more than the general one below
        lines = [
            str(o.error) + (f"\n    ({o.error.hint})" if o.error and o.error.hint else "")
            for o in report.failed
        ]
        super().__init__(
            f"{len(report.failed)} of {len(report.outcomes)} inputs could not be loaded "
            "(nothing of them was loaded):\n  " + "\n  ".join(lines),
            hint="fix the inputs named above (a file moved to quarantine has its report beside "
            "it; put the corrected file back in its folder) and run `ledgerbridge ingest` "
            "again; what loaded stays loaded and is not loaded twice",
        )
        self.report = report


Progress = Callable[[str], None]


def ingest(
    paths: Paths,
    settings: Settings,
    *,
    company_ids: list[str] | None = None,
    progress: Progress | None = None,
    command: str = "ledgerbridge ingest",
    check_deletions: bool = False,
) -> IngestReport:
    """Load every configured source. ``check_deletions`` compares ERP id lists now instead
    of on the source's own cadence."""
    companies = (
        [settings.company(c) for c in company_ids] if company_ids else list(settings.companies)
    )
    report = IngestReport()
    say = progress or (lambda _message: None)
    with writer_lock(paths, command), recorded_run(paths, "ingest") as run:
        for company in companies:
            if company.sie is not None:
                report.outcomes += _ingest_sie(
                    paths, company, company.sie.folder, say, report.notes
                )
            if company.erp_files is not None:
                report.outcomes.append(_ingest_erp(paths, company, company.erp_files.folder, say))
            if company.tryton is not None:
                report.outcomes.append(
                    _ingest_tryton(paths, company, say, check_deletions=check_deletions)
                )
            if company.fortnox is not None:
                report.outcomes.append(_ingest_fortnox(paths, company, say))
            for kind in FILE_KINDS:
                source = getattr(company, kind.name)
                if source is not None:
                    report.outcomes += _ingest_files(
                        paths, company, source.folder, kind, say, report.notes
                    )
        run.summary.update(report.summary())
        if report.failed:
            raise IngestFailed(report)
    return report


def _pipeline(paths: Paths, dataset: str) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=f"ledgerbridge_{dataset}",
        destination=dlt.destinations.duckdb(credentials=str(paths.warehouse)),
        dataset_name=dataset,
        pipelines_dir=str(paths.dlt_pipelines),
    )


def _loaded(paths: Paths, sql: str, params: list) -> list[tuple]:
    """What earlier loads recorded, or nothing if the table does not exist yet."""
    if not paths.warehouse.exists():
        return []
    con = connect_warehouse(paths)
    try:
        return con.execute(sql, params).fetchall()
    except Exception as exc:  # the raw table does not exist before the first load
        if "does not exist" in str(exc):
            return []
        raise
    finally:
        con.close()


def _run(paths: Paths, dataset: str, name: str, rows: Callable[[], Iterator[object]]) -> None:
    resource = dlt.resource(rows, name=name)
    try:
        _pipeline(paths, dataset).run(resource())
    except PipelineStepFailed as exc:
        user_error = find_user_error(exc) or warehouse_busy(paths, exc)
        if user_error is not None:
            raise user_error from None
        raise


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _ingest_sie(
    paths: Paths, company: Company, folder: Path, say: Progress, notes: list[str]
) -> list[LoadOutcome]:
    if not folder.is_dir():
        error = InputNotFoundError(
            f"the SIE folder of company '{company.id}' does not exist: {folder}",
            hint="create it and put the accounting program's SIE 4E exports there, or fix "
            "sources.sie.folder in ledgerbridge.toml",
        )
        return [LoadOutcome(company.id, "sie", _display(folder), "failed", error=error)]
    files = sie.find_sie_files(folder)
    others = sorted(p.name for p in folder.iterdir() if p.is_file() and p not in files)
    if others:
        notes.append(
            f"{company.id}: ignored in {_display(folder)} (not .se/.si/.sie): "
            + ", ".join(others[:5])
            + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        )
    if not files:
        notes.append(f"{company.id}: no SIE files (.se, .si, .sie) in {_display(folder)}")
        return []
    loaded = _loaded(
        paths,
        "select file_sha256, fiscal_year_start, generated_on, file_name from raw_sie.files "
        "where company_id = ?",
        [company.id],
    )
    known = {sha for sha, _, _, _ in loaded}
    #: the newest export loaded per fiscal year: (#GEN date, file name)
    newest: dict = {}
    for _, year_start, generated, name in loaded:
        if generated is not None and (
            year_start not in newest or generated > newest[year_start][0]
        ):
            newest[year_start] = (generated, name)
    outcomes = []
    for path in files:
        display = _display(path)
        ref = sie.SieFileRef(path, file_sha256(path))
        if ref.sha256 in known:
            say(f"{company.id}: {path.name} already loaded")
            outcomes.append(LoadOutcome(company.id, "sie", display, "unchanged"))
            continue
        year, generated = _export_date(path)
        if year is not None and generated is not None and year.start in newest:
            loaded_on, name = newest[year.start]
            if generated < loaded_on:
                notes.append(
                    f"{company.id}: skipped {display}: it was exported on {generated}, before "
                    f"the export already loaded for the fiscal year {year.start} – {year.end} "
                    f"({name}, exported {loaded_on}); the newer one stays"
                )
                outcomes.append(LoadOutcome(company.id, "sie", display, "skipped"))
                continue
        say(f"{company.id}: loading {path.name}")
        try:
            _run(
                paths,
                sie.DATASET,
                "sie_file",
                lambda ref=ref, display=display: sie.sie_file_rows(ref, company, display),
            )
        except InvalidInputError as exc:
            target = quarantine(
                paths, company.id, path, exc, full_diagnostics(path, display) or _diagnostics(exc)
            )
            error = InvalidInputError(
                f"{exc.message} — moved to {_display(target)} with its report",
                hint=exc.hint,
            )
            error.code = exc.code
            outcomes.append(LoadOutcome(company.id, "sie", display, "failed", error=error))
            continue
        if year is not None and generated is not None:
            newest[year.start] = max(
                newest.get(year.start, (generated, path.name)), (generated, path.name)
            )
        outcomes.append(
            LoadOutcome(
                company.id, "sie", display, "loaded", rows=_sie_counts(paths, ref.sha256, company)
            )
        )
    return outcomes


FileReader = Callable[[Path, str, Company, str], FileRows]


@dataclass(frozen=True)
class FileKind:
    """A folder source of files: each file read and checked whole, the good ones of a run
    loaded together."""

    name: str  # the company's source ("bank"), and LoadOutcome.source
    dataset: str
    what: str  # in the user's words
    tables: tuple[RawTable, ...]
    counts: tuple[str, ...]  # columns of <dataset>.files that say how much a file held
    suffixes: tuple[str, ...] = ()
    read: FileReader | None = None  # None: each file's mapping says how to read it


FILE_KINDS = (
    FileKind(
        "bank",
        bank.DATASET,
        "bank statements (camt.053)",
        bank.TABLES,
        ("statements", "entries"),
        bank.SUFFIXES,
        bank.statement_file_rows,
    ),
    FileKind(
        "einvoice",
        einvoice.DATASET,
        "e-invoices (Peppol BIS 3.0 UBL)",
        einvoice.TABLES,
        ("lines",),
        einvoice.SUFFIXES,
        einvoice.einvoice_file_rows,
    ),
    FileKind("mapped", mapped.DATASET, "exports with a mapping", mapped.TABLES, ("records",)),
    FileKind(
        "budget",
        budget.DATASET,
        "budget files (CSV)",
        budget.TABLES,
        ("entries",),
        budget.SUFFIXES,
        budget.budget_file_rows,
    ),
)


def _mapped_files(
    company: Company, folder: Path, outcomes: list[LoadOutcome], notes: list[str]
) -> list[tuple[Path, FileReader]]:
    """The files of a folder of exports, each with the reader its mapping makes; a mapping
    that is wrong fails, and the files it names stay unread."""
    found = []
    mappings = []
    for path in sorted(folder.glob(f"*{mapped.MAPPING_SUFFIX}")):
        try:
            mappings.append(load_mapping(path, _display(path)))
        except InvalidInputError as exc:
            outcomes.append(LoadOutcome(company.id, "mapped", _display(path), "failed", error=exc))
    if not mappings and not outcomes:
        notes.append(f"{company.id}: no mappings (*{mapped.MAPPING_SUFFIX}) in {folder}")
    unmatched = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.name.endswith(mapped.MAPPING_SUFFIX):
            continue
        matching = [m for m in mappings if m.matches(path)]
        if len(matching) > 1:
            error = InvalidInputError(
                f"{_display(path)} matches the file patterns of "
                + " and ".join(m.path.name for m in matching),
                hint="make the mappings' 'files' patterns name different files",
            )
            outcomes.append(
                LoadOutcome(company.id, "mapped", _display(path), "failed", error=error)
            )
        elif matching:
            found.append((path, functools.partial(mapped.mapped_file_rows, matching[0])))
        else:
            unmatched.append(path.name)
    if unmatched and mappings:
        notes.append(
            f"{company.id}: no mapping reads {', '.join(unmatched[:5])}"
            + (f" and {len(unmatched) - 5} more" if len(unmatched) > 5 else "")
            + f" in {_display(folder)}"
        )
    return found


def _ingest_files(
    paths: Paths,
    company: Company,
    folder: Path,
    kind: FileKind,
    say: Progress,
    notes: list[str],
) -> list[LoadOutcome]:
    """Each new file is read and checked whole; one that fails goes to quarantine with its
    report. The good ones land in one load (a dlt run costs most of a second: a bank's
    monthly statements one by one took a minute)."""
    if not folder.is_dir():
        error = InputNotFoundError(
            f"the {kind.name} folder of company '{company.id}' does not exist: {folder}",
            hint=f"create it and put the {kind.what} there, or fix sources.{kind.name}.folder "
            "in ledgerbridge.toml",
        )
        return [LoadOutcome(company.id, kind.name, _display(folder), "failed", error=error)]
    outcomes: list[LoadOutcome] = []
    if kind.read is None:
        files = _mapped_files(company, folder, outcomes, notes)
    else:
        files = [(path, kind.read) for path in find_files(folder, kind.suffixes)]
        if not files:
            notes.append(f"{company.id}: no {kind.what} ({', '.join(kind.suffixes)}) in {folder}")
    if not files:
        return outcomes
    known = {
        sha
        for (sha,) in _loaded(
            paths,
            f"select file_sha256 from {kind.dataset}.files where company_id = ?",
            [company.id],
        )
    }
    # per table, the rows of each key; a later file's copy of a document (a statement, an
    # invoice, a voucher) replaces an earlier one's whole, child rows included
    batch: dict[str, dict[tuple, list[dict]]] = {table.name: {} for table in kind.tables}
    replaced: dict[str, set[tuple]] = {t.name: set() for t in kind.tables if t.replace_key}
    ready: dict[str, str] = {}  # sha256 → display
    for path, read in files:
        display = _display(path)
        try:
            sha = file_sha256(path)
        except OSError as exc:
            error = InvalidInputError(f"{display} cannot be read: {exc.strerror or exc}")
            outcomes.append(LoadOutcome(company.id, kind.name, display, "failed", error=error))
            continue
        if sha in known or sha in ready:
            outcomes.append(LoadOutcome(company.id, kind.name, display, "unchanged"))
            continue
        say(f"{company.id}: reading {path.name}")
        try:
            rows = read(path, sha, company, display)
            _check_fits(kind, rows, display)
        except OtherMessage as exc:  # a bank's notification beside its statements
            notes.append(f"{company.id}: skipped {display}: {exc.diagnostics[0].message}")
            outcomes.append(LoadOutcome(company.id, kind.name, display, "skipped"))
            continue
        except InvalidInputError as exc:
            target = quarantine(paths, company.id, path, exc, _diagnostics(exc))
            error = InvalidInputError(
                f"{exc.message} — moved to {_display(target)} with its report", hint=exc.hint
            )
            error.code = exc.code
            outcomes.append(LoadOutcome(company.id, kind.name, display, "failed", error=error))
            continue
        for table in kind.tables:
            held = batch[table.name]
            if table.replace_key:
                documents = _document_keys(rows, table.replace_key)
                for document in documents:
                    held.pop(document, None)
                replaced[table.name] |= documents
                for row in rows[table.name]:
                    held.setdefault(tuple(row[c] for c in table.replace_key), []).append(row)
            else:
                for row in rows[table.name]:
                    held[tuple(row[c] for c in table.primary_key)] = [row]
        ready[sha] = display
    if not ready:
        return outcomes
    say(f"{company.id}: loading {len(ready)} {kind.what}")

    def tables() -> Iterator[object]:
        for table in kind.tables:
            yield table.table([row for rows in batch[table.name].values() for row in rows])

    try:
        _delete_replaced(paths, kind, replaced)
        _run(paths, kind.dataset, f"{kind.name}_files", tables)
    except LedgerbridgeError as exc:  # the files are fine and stay: the next run loads them
        return outcomes + [
            LoadOutcome(company.id, kind.name, display, "failed", error=exc)
            for display in ready.values()
        ]
    landed = {
        sha: (warnings, counted)
        for sha, warnings, *counted in _loaded(
            paths,
            f"select file_sha256, warnings, {', '.join(kind.counts)} from {kind.dataset}.files "
            "where company_id = ? and file_sha256 in (select unnest(?))",
            [company.id, list(ready)],
        )
    }
    for sha, display in ready.items():
        warnings, counted = landed[sha]
        notes += [f"{company.id}: {w}" for w in (warnings or "").splitlines()]
        rows = dict(zip(kind.counts, counted, strict=True))
        outcomes.append(LoadOutcome(company.id, kind.name, display, "loaded", rows=rows))
    return outcomes


def _document_keys(rows: FileRows, columns: tuple[str, ...]) -> set[tuple]:
    """The documents a file carries, by the columns that identify one: from every table that
    has them (a statement with no entries still replaces the entries held for it)."""
    return {
        tuple(row[c] for c in columns)
        for table_rows in rows.values()
        for row in table_rows
        if all(c in row for c in columns)
    }


def _check_fits(kind: FileKind, rows: FileRows, display: str) -> None:
    """Every value fits its warehouse column (the readers check the ranges they know; this
    catches the rest before the file joins a load, where it would fail all the others)."""
    for table in kind.tables:
        try:
            table.table(rows[table.name])
        except (pa.ArrowException, OverflowError, ArithmeticError) as exc:
            raise InvalidInputError(
                f"{display}: a value does not fit the warehouse's {table.name} table ({exc})",
                hint="a number is larger, or has more decimals, than the column holds",
            ) from None


def _delete_replaced(paths: Paths, kind: FileKind, replaced: dict[str, set[tuple]]) -> None:
    """Rows held for the documents a load replaces. dlt's delete-insert deletes only the keys
    the load has rows for: a statement sent again with fewer entries would keep the others."""
    if not any(replaced.values()) or not paths.warehouse.exists():
        return
    con = connect_warehouse(paths)
    try:
        held = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [kind.dataset],
            ).fetchall()
        }
        for table in kind.tables:
            keys = replaced.get(table.name)
            if not keys or table.name not in held:
                continue
            columns = table.replace_key
            placeholders = "(" + ", ".join("?" for _ in columns) + ")"
            ordered = sorted(keys, key=str)
            for start in range(0, len(ordered), 500):
                chunk = ordered[start : start + 500]
                con.execute(
                    f'delete from {kind.dataset}."{table.name}" where '
                    f"({', '.join(columns)}) in ({', '.join(placeholders for _ in chunk)})",
                    [value for key in chunk for value in key],
                )
    finally:
        con.close()


def _export_date(path: Path) -> tuple:
    """(fiscal year 0, #GEN date) of a SIE file, from its header alone; (None, None) when it
    cannot be read (the load then reports why)."""
    try:
        with SieReader(path, on_error="collect") as reader:
            return reader.header.fiscal_year(0), reader.header.generated
    except InvalidInputError:
        return None, None


def _diagnostics(exc: InvalidInputError) -> list:
    return list(getattr(exc, "diagnostics", []))


def _sie_counts(paths: Paths, sha256: str, company: Company) -> dict[str, int]:
    con = connect_warehouse(paths)
    try:
        vouchers, rows = con.execute(
            "select vouchers, voucher_rows from raw_sie.files "
            "where company_id = ? and file_sha256 = ?",
            [company.id, sha256],
        ).fetchone()
    finally:
        con.close()
    return {"vouchers": vouchers, "voucher_rows": rows}


def _ingest_erp(paths: Paths, company: Company, folder: Path, say: Progress) -> LoadOutcome:
    display = _display(folder)
    if not folder.is_dir():
        error = InputNotFoundError(
            f"the ERP export folder of company '{company.id}' does not exist: {folder}",
            hint="fix sources.erp_files.folder in ledgerbridge.toml",
        )
        return LoadOutcome(company.id, "erp_files", display, "failed", error=error)
    try:
        manifest = erp_files.read_manifest(folder, company)
    except LedgerbridgeError as exc:
        return LoadOutcome(company.id, "erp_files", display, "failed", error=exc)
    known = {
        sha
        for (sha,) in _loaded(
            paths,
            "select manifest_sha256 from raw_erp_files.exports where company_id = ?",
            [company.id],
        )
    }
    if manifest.sha256 in known:
        say(f"{company.id}: ERP export in {display} already loaded")
        return LoadOutcome(company.id, "erp_files", display, "unchanged")
    say(f"{company.id}: loading the ERP export in {display}")
    counts = {name: int(body.get("records", 0)) for name, body in manifest.entities.items()}

    def rows() -> Iterator[object]:
        yield from erp_files.export_rows(folder, manifest, company, Path.cwd())
        yield erp_files.export_record(manifest, company, counts)

    try:
        _run(paths, erp_files.DATASET, "erp_export", rows)
    except LedgerbridgeError as exc:
        return LoadOutcome(company.id, "erp_files", display, "failed", error=exc)
    return LoadOutcome(company.id, "erp_files", display, "loaded", rows=counts)


def tryton_client(paths: Paths, company: Company) -> TrytonClient:
    """A client for the company's Tryton, logged in (so a wrong address or password is
    reported before anything is read)."""
    source = company.tryton
    assert source is not None
    if source.sandbox:
        info = SandboxInfo.read(sandbox_file(paths))
        if info is None:
            raise InputNotFoundError(
                f"company '{company.id}' reads the sandbox ERP, which is not running",
                hint="start it with `ledgerbridge sandbox up`",
            )
        client = TrytonClient(info.url, info.database, info.user, info.password)
    else:
        assert source.url and source.database and source.user
        client = TrytonClient(source.url, source.database, source.user, source.password())
    client.login()
    return client


def _tryton_time(moment: datetime | None) -> datetime | None:
    """Tryton's timestamps are naive UTC; the warehouse gives them back with a zone."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _tryton_marks(paths: Paths, company_id: str) -> dict[str, tryton.SyncState]:
    """Where each entity's reading got to, from the raw rows themselves (see the source)."""
    # columns that came later than the tables (server_read_at, quiet_read_at) may be absent
    # from an older warehouse: its first run reads from mark − overlap
    columns: dict[str, set[str]] = {}
    for table, column in _loaded(
        paths,
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'raw_tryton'",
        [],
    ):
        columns.setdefault(table, set()).add(column)
    quiet = "quiet_read_at" if "quiet_read_at" in columns.get("sync_state", ()) else "null"
    checks = {
        entity: (checked, _tryton_time(quiet_read))
        for entity, checked, quiet_read in _loaded(
            paths,
            f"select entity, last_deletion_check, {quiet} from raw_tryton.sync_state "
            "where company_id = ?",
            [company_id],
        )
    }
    present = [e.name for e in tryton.ENTITIES if e.name in columns]
    timed = {name for name in present if "server_read_at" in columns[name]}
    marks = {
        name: (written, created, read)
        for name, written, created, read in _loaded(
            paths,
            " union all ".join(
                f"select '{name}', max(write_date), max(create_date) filter "
                f"(where write_date is null), "
                f"{'max(server_read_at)' if name in timed else 'null::timestamp'} "
                f"from raw_tryton.{name} where company_id = $1"
                for name in present
            ),
            [company_id],
        )
    } if present else {}  # fmt: skip
    states = {}
    for entity in tryton.ENTITIES:
        written, created, read = marks.get(entity.name, (None, None, None))
        checked, quiet_read = checks.get(entity.name, (None, None))
        reads = [t for t in (_tryton_time(read), quiet_read) if t is not None]
        states[entity.name] = tryton.SyncState(
            _tryton_time(written),
            _tryton_time(created),
            checked,
            read_at=max(reads, default=None),
        )
    return states


def _ingest_tryton(
    paths: Paths, company: Company, say: Progress, *, check_deletions: bool = False
) -> LoadOutcome:
    source = company.tryton
    assert source is not None
    try:
        client = tryton_client(paths, company)
    except LedgerbridgeError as exc:
        return LoadOutcome(company.id, "tryton", "Tryton", "failed", error=exc)
    where = f"{client.base} ({client.database})"
    states = _tryton_marks(paths, company.id)
    due = datetime.now(UTC) - timedelta(hours=source.deletion_check_hours)

    def live_ids(entity: tryton.Entity) -> set[int] | None:
        checked = states.get(entity.name, tryton.SyncState()).last_deletion_check
        if not check_deletions and checked is not None and checked > due:
            return None
        return {
            id_
            for (id_,) in _loaded(
                paths,
                f"select id from raw_tryton.{entity.name} "
                "where company_id = ? and deleted_at is null",
                [company.id],
            )
        }

    def last_copies(entity: tryton.Entity, ids: list[int]) -> list[dict]:
        held = {
            name
            for (name,) in _loaded(
                paths,
                "select column_name from information_schema.columns "
                "where table_schema = 'raw_tryton' and table_name = ?",
                [entity.name],
            )
        }
        # a table made before a column was added lacks it: those copies keep it empty
        names = [n for n in entity.table.schema.names if n in held]
        rows = _loaded(
            paths,
            f"select {', '.join(names)} from raw_tryton.{entity.name} "
            "where company_id = ? and id in (select unnest(?))",
            [company.id, ids],
        )
        return [dict(zip(names, row, strict=True)) for row in rows]

    def held_versions(entity: tryton.Entity, start: datetime) -> dict[int, datetime]:
        rows = _loaded(
            paths,
            f"select id, coalesce(write_date, create_date) as modified "
            f"from raw_tryton.{entity.name} where company_id = ? and deleted_at is null "
            "and coalesce(write_date, create_date) >= ?",
            [company.id, start.replace(tzinfo=UTC) if start.tzinfo is None else start],
        )
        return {id_: _tryton_time(modified) for id_, modified in rows}

    counts = tryton.SyncCounts({}, {}, 0)
    say(f"{company.id}: reading Tryton at {where}")
    try:
        _run(
            paths,
            tryton.DATASET,
            "tryton",
            lambda: tryton.tryton_rows(
                client,
                company.id,
                states,
                live_ids=live_ids,
                last_copies=last_copies,
                held_versions=held_versions,
                counts=counts,
                overlap=timedelta(seconds=source.overlap_seconds),
                say=lambda m: say(f"{company.id}: {m}"),
            ),
        )
    except LedgerbridgeError as exc:
        return LoadOutcome(company.id, "tryton", where, "failed", error=exc)
    rows = {f"{name} changed": n for name, n in counts.fetched.items() if n}
    rows.update({f"{name} deleted": n for name, n in counts.deleted.items() if n})
    first = all(s.written is None and s.created is None for s in states.values())
    status = "loaded" if rows or first else "unchanged"
    return LoadOutcome(company.id, "tryton", where, status, rows=rows, read=counts.read)


def fortnox_client(paths: Paths, company: Company) -> FortnoxClient:
    """A client for the company's Fortnox (its tokens in state.sqlite). The sandbox's OAuth
    client is in sandbox/fortnox.json; a sandbox company not yet authorized is authorized
    on the spot (the sandbox consents at once)."""
    from sandbox.fortnox.running import authorize_sandbox, reachable

    source = company.fortnox
    assert source is not None
    tokens = TokenStore(paths, company.id)
    if source.sandbox:
        info = reachable(paths)  # a fortnox.json left by a sandbox that stopped is not one
        if info is None:
            raise InputNotFoundError(
                f"company '{company.id}' reads the Fortnox sandbox, which is not running",
                hint="start it with `ledgerbridge sandbox up`",
            )
        client = FortnoxClient(
            tokens, info.client_id, info.client_secret, api_url=info.url,
            auth_url=f"{info.url}/oauth-v1",
        )  # fmt: skip
        if tokens.load() is None:
            authorize_sandbox(client, info.redirect_uri)
        return client
    assert source.client_id and source.redirect_uri
    return FortnoxClient(
        tokens, source.client_id, source.client_secret(), api_url=source.api_url,
        auth_url=source.auth_url,
    )  # fmt: skip


def _fortnox_state(paths: Paths, company_id: str) -> fortnox.SyncState:
    marks = {
        resource: mark
        for resource, mark in _loaded(
            paths,
            "select resource, lastmodified_from from raw_fortnox.sync_state "
            "where company_id = ? and lastmodified_from is not null",
            [company_id],
        )
    }
    cache: dict[str, dict[tuple, str]] = {}

    def held_raw(resource: fortnox.Resource, keys: list[tuple]) -> dict[tuple, str]:
        if resource.name not in cache:  # one read per resource and run
            columns = ", ".join(resource.key_columns)
            cache[resource.name] = {
                tuple(row[:-1]): row[-1]
                for row in _loaded(
                    paths,
                    f"select {columns}, raw from raw_fortnox.{resource.name} where company_id = ?",
                    [company_id],
                )
            }
        held = cache[resource.name]
        return {key: held[key] for key in keys if key in held}

    def held_vouchers(year_id: int) -> set[tuple[str, int]]:
        return {
            (series, number)
            for series, number in _loaded(
                paths,
                "select voucher_series, voucher_number from raw_fortnox.vouchers "
                "where company_id = ? and year_id = ?",
                [company_id, year_id],
            )
        }

    lock = _loaded(
        paths, "select end_date from raw_fortnox.locked_period where company_id = ?", [company_id]
    )
    return fortnox.SyncState(marks, held_raw, held_vouchers, lock[0][0] if lock else None)


def _ingest_fortnox(paths: Paths, company: Company, say: Progress) -> LoadOutcome:
    source = company.fortnox
    assert source is not None
    try:
        client = fortnox_client(paths, company)
    except LedgerbridgeError as exc:
        return LoadOutcome(company.id, "fortnox", "Fortnox", "failed", error=exc)
    where = f"Fortnox ({company.id}) at {client.api_url}"
    state = _fortnox_state(paths, company.id)
    counts = fortnox.SyncCounts({}, {})
    say(f"{company.id}: reading {where}")
    try:
        _run(
            paths,
            fortnox.DATASET,
            "fortnox",
            lambda: fortnox.fortnox_rows(
                client,
                company.id,
                state,
                counts,
                overlap=timedelta(seconds=source.overlap_seconds),
                say=lambda m: say(f"{company.id}: {m}"),
            ),
        )
    except LedgerbridgeError as exc:
        _forget_fortnox_marks(paths, company.id)
        return LoadOutcome(company.id, "fortnox", where, "failed", error=exc)
    rows = {f"{name} changed": n for name, n in counts.fetched.items() if n}
    status = "loaded" if rows or not state.lastmodified_from else "unchanged"
    return LoadOutcome(
        company.id, "fortnox", where, status, rows=rows, read=sum(counts.read.values()),
        client=client.stats,
    )  # fmt: skip


def _forget_fortnox_marks(paths: Paths, company_id: str) -> None:
    """After a failed load, the next run reads every resource whole: dlt merges each table
    on its own, so the marks may have landed while a table they vouch for did not."""
    if not _loaded(
        paths,
        "select 1 from information_schema.tables "
        "where table_schema = 'raw_fortnox' and table_name = 'sync_state'",
        [],
    ):
        return
    con = connect_warehouse(paths)
    try:
        con.execute("delete from raw_fortnox.sync_state where company_id = ?", [company_id])
    finally:
        con.close()
