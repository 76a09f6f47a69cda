"""`ledgerbridge dbt …`: any dbt command on a home's warehouse, as the README shows an
analytics engineer — here `docs generate`, which documents every model and column."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import run_cli


def test_docs_generate_documents_the_marts(demo_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    result = run_cli("dbt", "docs", "generate", home=home)
    assert result.returncode == 0, result.output
    target = home / "dbt" / "target"
    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    assert (target / "index.html").is_file()
    tables = {node["metadata"]["name"]: node for node in catalog["nodes"].values()}
    # the catalog reads the built tables: the marts with their columns
    assert "rec_findings" in tables and "fct_gl_entries" in tables
    assert "finding_id" in {c.lower() for c in tables["rec_findings"]["columns"]}
    # and the manifest carries what the yml files say of them
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert models["rec_findings"]["description"]
    assert models["rec_findings"]["columns"]["document_type"]["description"]
    # models of sources the demo has not (SIE files) are disabled, not failing
    assert "stg_sie__vouchers" not in models


def test_a_dbt_error_is_dbts_exit_code(demo_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    result = run_cli("dbt", "build", "--select", "no_such_model_anywhere", home=home)
    # dbt warns that nothing matched and exits 0; a bad command is dbt's own usage error
    assert "no_such_model_anywhere" in result.output
    bad = run_cli("dbt", "no-such-command", home=home)
    assert bad.returncode != 0
    assert "No such command" in bad.output
