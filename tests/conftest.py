"""Shared fixtures: the real corpus, the real CLI, and one demo run shared by the session."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("LEDGERBRIDGE_CORPUS", REPO.parent / "shared" / "corpus"))
ARTIFACTS = REPO / "tests" / "artifacts"
LEDGERBRIDGE = Path(sys.executable).parent / "ledgerbridge"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "sie").is_dir():
        pytest.fail(
            f"the test corpus is missing at {CORPUS}; set LEDGERBRIDGE_CORPUS to shared/corpus"
        )
    return CORPUS


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(
    *args: str,
    home: Path,
    cwd: Path | None = None,
    timeout: float = 600,
    env: dict[str, str] | None = None,
) -> CliResult:
    """Run the installed `ledgerbridge` command, as a user would (``env``: variables added to
    this process's environment)."""
    env = dict(os.environ, LEDGERBRIDGE_HOME=str(home), COLUMNS="200", **(env or {}))
    env.pop("LEDGERBRIDGE_CONFIG", None)
    completed = subprocess.run(
        [str(LEDGERBRIDGE), *args],
        cwd=cwd or home.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliResult(completed.returncode, completed.stdout, completed.stderr)


def run_steps(home: Path, *steps: str) -> None:
    """Run ``ledgerbridge <step>`` for each step (ingest, build, publish, …), each of which
    must succeed."""
    for step in steps:
        result = run_cli(step, home=home)
        assert result.returncode == 0, f"{step}: {result.output}"


def warehouse_rows(home: Path, sql: str) -> list[tuple]:
    """What a query on a home's warehouse returns (read-only, closed again at once)."""
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`ledgerbridge demo --no-serve` once, in a fresh home, its sandbox ERP running until the
    session ends; tests must not write to it (nor to its ERP). LEDGERBRIDGE_TEST_DEMO_HOME
    names a finished demo home to use instead, while working on tests that only read it."""
    reuse = os.environ.get("LEDGERBRIDGE_TEST_DEMO_HOME")
    if reuse:
        yield Path(reuse)
        return
    home = tmp_path_factory.mktemp("demo") / "home"
    try:
        result = run_cli("demo", "--no-serve", home=home, timeout=1500)
        assert result.returncode == 0, result.output
        yield home
    finally:
        run_cli("sandbox", "down", home=home)


@pytest.fixture(scope="session")
def two_company_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`ledgerbridge demo --no-serve --second-company` once, in a fresh home: Demo AB as in
    `demo_home` plus Demo Sie AB (books as SIE files, ERP as the JSON export), its sandboxes
    running until the session ends; tests must not write to it."""
    home = tmp_path_factory.mktemp("two-companies") / "home"
    try:
        result = run_cli("demo", "--no-serve", "--second-company", home=home, timeout=1500)
        assert result.returncode == 0, result.output
        yield home
    finally:
        run_cli("sandbox", "down", home=home)


@contextlib.contextmanager
def fortnox_only_copy(demo_home: Path, home: Path) -> Iterator[Path]:
    """A copy of the demo home with its own Fortnox sandbox (on the copied books), its config
    reading Fortnox only (the copied ERP sandbox is the original's, which tests must not
    use); the sandbox is stopped on leaving."""
    shutil.copytree(demo_home, home)
    # the copied fortnox.json names the original's sandbox: start this home's own
    (home / "sandbox" / "fortnox.json").unlink(missing_ok=True)
    result = run_cli("sandbox", "up", "--no-tryton", home=home)
    assert result.returncode == 0, result.output
    try:
        (home / "ledgerbridge.toml").write_text(
            'demo = true\n\n[companies.demo_ab]\nname = "Demo AB"\n\n'
            "[companies.demo_ab.sources.fortnox]\nsandbox = true\n",
            encoding="utf-8",
        )
        yield home
    finally:
        run_cli("sandbox", "down", home=home)
