"""Exports with a mapping through `ledgerbridge ingest`: the demo's CSV price list lands with
its decimal commas read right; a bad value or a bad mapping is refused and named."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.demo_company import DemoOptions, generate
from sandbox.demo_company.other_exports import write_price_list
from tests.conftest import run_cli
from tests.conftest import warehouse_rows as rows


@pytest.fixture(scope="module")
def erp_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(DemoOptions(scale=2000), tmp_path_factory.mktemp("demo")).erp_folder


def home_with_price_list(tmp_path: Path, erp_folder: Path) -> Path:
    home = tmp_path / "home"
    write_price_list(home / "other", erp_folder)
    (home / "ledgerbridge.toml").write_text(
        '[companies.acme]\nname = "Acme AB"\n[companies.acme.sources.mapped]\nfolder = "other"\n',
        encoding="utf-8",
    )
    return home


def test_the_price_list_lands_through_its_mapping(tmp_path: Path, erp_folder: Path) -> None:
    home = home_with_price_list(tmp_path, erp_folder)
    (home / "other" / "readme.txt").write_text("not an export", encoding="utf-8")
    result = run_cli("ingest", home=home)
    assert result.returncode == 0, result.output
    assert "prislista_webbshop.csv  18 records" in result.output
    assert "no mapping reads readme.txt" in result.output
    assert rows(
        home,
        "select system, name, sales_price, purchase_price, vat_rate, source_line "
        "from raw_mapped.articles where article_number = 'A1001'",
    ) == [("webshop", "Kontorsstol Ergo Plus", Decimal("2490.00"), Decimal("1450.00"),
           Decimal("25.0000"), 2)]  # fmt: skip
    again = run_cli("ingest", home=home)
    assert again.returncode == 0 and "unchanged" in again.output


def test_a_bad_value_refuses_the_file_and_names_line_and_field(
    tmp_path: Path, erp_folder: Path
) -> None:
    home = home_with_price_list(tmp_path, erp_folder)
    data = home / "other" / "prislista_webbshop.csv"
    text = data.read_bytes().decode("cp1252").replace("2 490,00", "ca 2 490", 1)
    data.write_bytes(text.encode("cp1252"))
    result = run_cli("ingest", home=home)
    assert result.returncode == 1
    assert "prislista_webbshop.csv:2" in result.stderr and "sales_price" in result.stderr
    assert not data.exists() and list((home / "quarantine" / "acme").glob("*.report.txt"))
    # nothing landed: the only file failed, so no warehouse was even made
    assert not (home / "warehouse.duckdb").exists()


def test_a_bad_mapping_is_named_and_its_files_wait(tmp_path: Path, erp_folder: Path) -> None:
    home = home_with_price_list(tmp_path, erp_folder)
    mapping = home / "other" / "prislista.mapping.yaml"
    mapping.write_text(
        mapping.read_text(encoding="utf-8").replace("entity: articles", "entity: artiklar"),
        encoding="utf-8",
    )
    result = run_cli("ingest", home=home)
    assert result.returncode == 1
    assert "prislista.mapping.yaml" in result.stderr and "'artiklar'" in result.stderr
    assert (home / "other" / "prislista_webbshop.csv").exists()  # not the data's fault
