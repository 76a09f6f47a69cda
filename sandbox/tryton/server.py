"""A real trytond for the sandbox: create its database once, start it, stop it.

``up`` starts trytond on a free localhost port with a SQLite database under
``$LEDGERBRIDGE_HOME/sandbox/tryton/`` and writes where it listens and how to log in to
``$LEDGERBRIDGE_HOME/sandbox/sandbox.json``; ``down`` stops it. Creating a database (activating
the modules, then setting up Demo AB) takes about half a minute, so the result is kept in a
cache folder keyed by everything that shapes it, and every later database is a file copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ledgerbridge.config import Paths
from sandbox.processes import (
    InfoFile,
    SandboxError,
    alive,
    free_port,
    stop,
    wait_until_serving,
)

#: The Tryton modules the sandbox ERP runs (their dependencies are activated with them).
MODULES = (
    "sale",
    "purchase",
    "stock",
    "account_invoice",
    "analytic_account",
    "analytic_invoice",
    "analytic_sale",
    "analytic_purchase",
    "project",
)
DATABASE = "demo"
USER = "admin"
CACHE_ENV = "LEDGERBRIDGE_CACHE"
_HERE = Path(__file__).resolve().parent
#: Files whose content shapes the bootstrapped database: a change makes a new cache entry.
_SHAPING = (
    _HERE / "bootstrap.py",
    _HERE.parent / "demo_company" / "chart.py",
    _HERE.parent / "demo_company" / "master_data.py",
)
StepReporter = Callable[[str], None]


@dataclass(frozen=True)
class SandboxInfo(InfoFile):
    """What sandbox.json holds: how to reach the running sandbox ERP."""

    url: str
    database: str
    user: str
    password: str
    pid: int
    log_file: str
    started_at: str


def sandbox_file(paths: Paths) -> Path:
    return paths.sandbox / "sandbox.json"


def tryton_folder(paths: Paths) -> Path:
    return paths.sandbox / "tryton"


def cache_folder() -> Path:
    base = os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ledgerbridge"
    )
    return Path(base) / "tryton"


def _trytond_script(name: str) -> Path:
    script = Path(sys.executable).parent / name
    if not script.exists():
        found = shutil.which(name)
        if not found:
            raise SandboxError(
                f"{name} is not installed in this Python environment",
                hint="install the project with `make demo` (or pip install -e .)",
            )
        script = Path(found)
    return script


def trytond_version() -> str:
    from importlib.metadata import version

    return version("trytond")


def _config_text(folder: Path, port: int) -> str:
    return (
        "[database]\nuri = sqlite://\n"
        f"path = {folder}\n"
        "[web]\n"
        f"listen = 127.0.0.1:{port}\n"
        "[session]\n"
        # a sandbox user who tries a wrong password in a test should not be locked out
        "max_attempt = 1000\n"
    )


def template_key(spec: dict) -> str:
    digest = hashlib.sha256()
    digest.update(trytond_version().encode())
    digest.update(" ".join(MODULES).encode())
    digest.update(json.dumps(spec, sort_keys=True).encode())
    for path in _SHAPING:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def template_database(spec: dict, report: StepReporter = print) -> tuple[Path, str]:
    """The bootstrapped database for ``spec`` (company, fiscal years) and its admin
    password, from the cache or made now."""
    cache = cache_folder()
    key = template_key(spec)
    database, secret = cache / f"{key}.sqlite", cache / f"{key}.json"
    if database.exists() and secret.exists():
        return database, json.loads(secret.read_text(encoding="utf-8"))["password"]
    cache.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="tryton-", dir=cache) as tmp:
        folder = Path(tmp)
        conf = folder / "trytond.conf"
        conf.write_text(_config_text(folder, 0), encoding="utf-8")
        (folder / f"{DATABASE}.sqlite").touch()
        passfile = folder / "password"
        passfile.write_text(password + "\n", encoding="utf-8")
        report(f"activating Tryton {trytond_version()} modules: {', '.join(MODULES)} (~30 s)")
        _run(
            [
                str(_trytond_script("trytond-admin")),
                "-c", str(conf), "-d", DATABASE, "--all",
                "-u", *MODULES, "--activate-dependencies", "--email", "admin@demo.example",
            ],
            env={"TRYTONPASSFILE": str(passfile)},
            what="trytond-admin (creating the sandbox database)",
        )  # fmt: skip
        report("setting up Demo AB: company, BAS accounts, VAT, fiscal years, warehouses")
        spec_file = folder / "spec.json"
        spec_file.write_text(
            json.dumps({**spec, "database": DATABASE, "config_file": str(conf)}),
            encoding="utf-8",
        )
        _run(
            [sys.executable, "-m", "sandbox.tryton.bootstrap", str(spec_file)],
            env={},
            what="the sandbox bootstrap",
        )
        secret.write_text(json.dumps({"password": password}), encoding="utf-8")
        os.replace(folder / f"{DATABASE}.sqlite", database)
    return database, password


def seeded_database(
    spec: dict,
    erp_folder: Path,
    *,
    until: str | None = None,
    report: StepReporter = print,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[Path, str]:
    """The template database with the demo company's business replayed into it through
    Tryton's workflows (see seed.py), from the cache or made now."""
    template, password = template_database(spec, report)
    digest = hashlib.sha256(template.name.encode())
    digest.update((erp_folder / "manifest.json").read_bytes())
    for shaping in ("seed.py", "replay.py"):
        digest.update((_HERE / shaping).read_bytes())
    digest.update(str(until).encode())
    database = cache_folder() / f"{template.stem}-seeded-{digest.hexdigest()[:12]}.sqlite"
    if database.exists():
        return database, password
    with tempfile.TemporaryDirectory(prefix="tryton-seed-", dir=cache_folder()) as tmp:
        folder = Path(tmp)
        conf = folder / "trytond.conf"
        conf.write_text(_config_text(folder, 0), encoding="utf-8")
        spec_file = folder / "seed.json"
        spec_file.write_text(
            json.dumps(
                {"database": DATABASE, "config_file": str(conf), "erp_folder": str(erp_folder),
                 "until": until}
            ),
            encoding="utf-8",
        )  # fmt: skip
        report("replaying Demo AB's business through Tryton's workflows")
        # A replay has failed once in about six, at a different step each time ("cannot
        # modify a posted invoice" while processing a later sale): an order dependence inside
        # Tryton not yet understood. A second replay from the start has always passed.
        for attempt in (1, 2):
            _remove_database(folder)
            shutil.copyfile(template, folder / f"{DATABASE}.sqlite")
            try:
                _run_with_progress(
                    [sys.executable, "-m", "sandbox.tryton.seed", str(spec_file)],
                    progress,
                    what="seeding the sandbox ERP",
                )
                break
            except SandboxError as exc:
                if attempt == 2:
                    raise
                last = str(exc).strip().splitlines()[-1]
                report(f"the replay failed ({last[:160]}); replaying once more from the start")
        os.replace(folder / f"{DATABASE}.sqlite", database)
    return database, password


def _run_with_progress(
    command: list[str], progress: Callable[[int, int, str], None] | None, what: str
) -> None:
    """Run a step that prints {"done", "total", "what"} JSON lines, passing them on."""
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=_HERE.parent.parent,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        for line in process.stdout:
            with contextlib.suppress(ValueError, KeyError):
                state = json.loads(line)
                if progress is not None:
                    progress(state["done"], state["total"], state["what"])
        errors = process.stderr.read()
    if process.returncode != 0:
        tail = errors.strip().splitlines()[-15:]
        raise SandboxError(f"{what} failed:\n" + "\n".join(tail))


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(
        command,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        cwd=_HERE.parent.parent,
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-15:]
        raise SandboxError(f"{what} failed:\n" + "\n".join(tail))
    return result.stdout


def running(paths: Paths) -> SandboxInfo | None:
    """The sandbox ERP if its process is alive."""
    info = SandboxInfo.read(sandbox_file(paths))
    if info is None or not alive(info.pid) or not _serves_this_home(info.pid, paths):
        return None
    return info


def _serves_this_home(pid: int, paths: Paths) -> bool:
    """Whether ``pid`` is this home's trytond, not a process that got its number after a
    reboot (a stale sandbox.json must never make `down` kill somebody else's process)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:  # no /proc (not Linux): trust the pid
        return True
    conf = str(tryton_folder(paths) / "trytond.conf").encode()
    return any(b"trytond" in part for part in command) and conf in command


def up(
    paths: Paths,
    database_source: Callable[[], tuple[Path, str]],
    *,
    report: StepReporter = print,
    timeout: float = 90,
) -> SandboxInfo:
    """Start the sandbox ERP (or return the one running). A first start copies the database
    ``database_source()`` gives (file and admin password); later starts reuse it."""
    paths.sandbox.mkdir(parents=True, exist_ok=True)
    current = running(paths)
    if current is not None:
        return current
    folder = tryton_folder(paths)
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / f"{DATABASE}.sqlite"
    secret = folder / "password.json"
    if not database.exists() or not secret.exists():
        source, password = database_source()
        _remove_database(folder)
        shutil.copyfile(source, database.with_suffix(".tmp"))
        os.replace(database.with_suffix(".tmp"), database)
        secret.write_text(json.dumps({"password": password}), encoding="utf-8")
    password = json.loads(secret.read_text(encoding="utf-8"))["password"]
    port = free_port()
    conf = folder / "trytond.conf"
    conf.write_text(_config_text(folder, port), encoding="utf-8")
    log_file = folder / "trytond.log"
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [str(_trytond_script("trytond")), "-c", str(conf), "-d", DATABASE],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives this command; `sandbox down` stops it
        )
    info = SandboxInfo(
        url=f"http://127.0.0.1:{port}/",
        database=DATABASE,
        user=USER,
        password=password,
        pid=process.pid,
        log_file=str(log_file),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    report(f"starting trytond on {info.url}")
    try:
        _wait_until_serving(info, process, log_file, timeout)
    except BaseException:  # an interrupted start leaves no server nobody knows of
        stop(process.pid)
        raise
    info.write(sandbox_file(paths))
    return info


def _wait_until_serving(
    info: SandboxInfo, process: subprocess.Popen, log_file: Path, timeout: float
) -> None:
    from ledgerbridge.clients.tryton import TrytonClient, TrytonError, TrytonUnreachable

    def answers() -> bool:
        try:
            TrytonClient(info.url, info.database, info.user, info.password, retries=0).login()
        except TrytonUnreachable:  # not listening yet
            return False
        except TrytonError as exc:  # listening, but the database or login is wrong
            raise SandboxError(f"the sandbox ERP started but {exc}", hint=exc.hint) from None
        return True

    wait_until_serving(process, "trytond", info.url, log_file, answers, timeout)


def down(paths: Paths) -> SandboxInfo | None:
    """Stop the sandbox ERP; returns what was stopped (None when nothing ran)."""
    info = SandboxInfo.read(sandbox_file(paths))
    if info is None:
        return None
    if alive(info.pid) and _serves_this_home(info.pid, paths):
        stop(info.pid)
    sandbox_file(paths).unlink(missing_ok=True)
    return info


def discard(paths: Paths) -> None:
    """Stop the sandbox ERP and delete its database, so that the next ``up`` starts from a
    fresh copy (the demo does this: a new demo company is a new ERP)."""
    down(paths)
    _remove_database(tryton_folder(paths))
    (tryton_folder(paths) / "password.json").unlink(missing_ok=True)


def _remove_database(folder: Path) -> None:
    """The database file and SQLite's journal beside it: a -wal file left by a server that was
    stopped would be replayed onto the next database copied to that name, and corrupt it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        (folder / f"{DATABASE}.sqlite{suffix}").unlink(missing_ok=True)
