"""ledgerbridge.toml: what is accepted and what each mistake says."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerbridge.config import Paths, load_settings, parse_settings
from ledgerbridge.errors import ConfigError


def test_relative_folders_resolve_against_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "ledgerbridge.toml"
    config.write_text(
        '[companies.acme]\nname = "Acme AB"\norgnr = "556000-0000"\n'
        '[companies.acme.sources.sie]\nfolder = "books"\n'
        '[companies.acme.sources.erp_files]\nfolder = "/data/erp"\n',
        encoding="utf-8",
    )
    settings = load_settings(Paths(tmp_path / "home"), config)
    company = settings.company("acme")
    assert company.sie is not None and company.sie.folder == tmp_path / "books"
    assert company.erp_files is not None and company.erp_files.folder == Path("/data/erp")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "no companies configured"),
        ({"companies": {"Acme AB": {"name": "x"}}}, "company id must be lower-case"),
        ({"companies": {"acme": {}}}, "'name' is required"),
        (
            {"companies": {"acme": {"name": "A"}}},
            r"no sources; add \[companies\.acme\.sources\.sie\]",
        ),
        ({"companies": {"acme": {"name": "A", "sources": {"visma": {}}}}}, "unknown source type"),
        ({"companies": {"acme": {"name": "A", "sources": {"sie": {}}}}}, "'folder' is required"),
    ],
)
def test_mistakes_name_the_file_and_the_key(raw: dict, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_settings(raw, tmp_path / "ledgerbridge.toml")
    assert "ledgerbridge.toml" in str(caught.value)


def test_missing_and_broken_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGERBRIDGE_CONFIG", raising=False)
    with pytest.raises(ConfigError, match=r"no ledgerbridge\.toml found") as caught:
        load_settings(Paths(tmp_path / "home"))
    assert "ledgerbridge demo" in (caught.value.hint or "")
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(Paths(tmp_path / "home"), tmp_path / "nope.toml")
    broken = tmp_path / "ledgerbridge.toml"
    broken.write_text("[companies.acme\nname=1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(Paths(tmp_path / "home"))


def test_unknown_company_lists_the_known_ones(tmp_path: Path) -> None:
    acme = {"name": "Acme AB", "sources": {"sie": {"folder": "books"}}}
    settings = parse_settings({"companies": {"acme": acme}}, tmp_path / "x.toml")
    with pytest.raises(ConfigError, match=r"no company 'other' \(configured: acme\)"):
        settings.company("other")
