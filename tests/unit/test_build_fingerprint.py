"""When `ledgerbridge build` reruns dbt's unit tests: the project's fingerprint."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ledgerbridge import build
from ledgerbridge.config import DBT_PROJECT_DIR


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    monkeypatch.setattr(build, "DBT_PROJECT_DIR", copy)
    return copy


VARS = '{"ledgerbridge_sources": ["sie"]}'


def test_the_same_project_and_vars_give_the_same_fingerprint(project: Path) -> None:
    assert build.project_fingerprint(VARS) == build.project_fingerprint(VARS)


def test_another_source_changes_it(project: Path) -> None:
    assert build.project_fingerprint(VARS) != build.project_fingerprint(
        '{"ledgerbridge_sources": ["fortnox", "sie"]}'
    )


@pytest.mark.parametrize(
    "changed",
    [
        "models/marts/finance/fct_gl_entries.sql",
        "macros/gl_entries.sql",
        "models/marts/finance/_finance__models.yml",
        "seeds/mappings/account_overrides.csv",
        "dbt_project.yml",
    ],
)
def test_an_edited_model_macro_test_or_seed_changes_it(project: Path, changed: str) -> None:
    before = build.project_fingerprint(VARS)
    path = project / changed
    path.write_bytes(path.read_bytes() + b"\n")
    assert build.project_fingerprint(VARS) != before


def test_a_new_model_changes_it(project: Path) -> None:
    before = build.project_fingerprint(VARS)
    (project / "models" / "marts" / "finance" / "my_report.sql").write_text("select 1 as x\n")
    assert build.project_fingerprint(VARS) != before


def test_dbt_output_does_not_change_it(project: Path) -> None:
    before = build.project_fingerprint(VARS)
    (project / "target").mkdir(exist_ok=True)
    (project / "target" / "manifest.json").write_text("{}")
    (project / "logs").mkdir(exist_ok=True)
    (project / "logs" / "dbt.log").write_text("x")
    assert build.project_fingerprint(VARS) == before
