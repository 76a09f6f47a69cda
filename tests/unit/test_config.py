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
        (
            {
                "companies": {
                    "acme": {
                        "name": "A",
                        "sources": {"bank": {"folder": "in"}, "einvoice": {"folder": "in"}},
                    }
                }
            },
            "sources.bank and sources.einvoice both read",
        ),
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


def _tryton(body: object) -> dict:
    return {"companies": {"acme": {"name": "Acme AB", "sources": {"tryton": body}}}}


def test_a_tryton_source_keeps_its_password_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"url": "https://erp.acme.se/", "database": "acme", "user": "lb",
            "password_env": "ACME_TRYTON", "overlap_seconds": 60}  # fmt: skip
    source = parse_settings(_tryton(body), tmp_path / "x.toml").companies[0].tryton
    assert source is not None and source.url == "https://erp.acme.se/"
    assert source.overlap_seconds == 60 and source.deletion_check_hours == 24
    monkeypatch.delenv("ACME_TRYTON", raising=False)
    with pytest.raises(ConfigError, match="ACME_TRYTON, which is not set"):
        source.password()
    monkeypatch.setenv("ACME_TRYTON", "s3cret")
    assert source.password() == "s3cret"
    sandbox = parse_settings(_tryton({"sandbox": True}), tmp_path / "x.toml").companies[0]
    assert sandbox.tryton is not None and sandbox.tryton.sandbox


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": "https://x/"}, "database, user, password_env required"),
        ({"url": "erp.acme.se", "database": "a", "user": "u", "password_env": "P"},
         "url must start with http:// or https://"),
        ({"sandbox": True, "overlap_seconds": -1}, "'overlap_seconds' must be a number"),
        ({"sandbox": True, "deletion_check_hours": "daily"}, "'deletion_check_hours' must be"),
        ("tryton", "sources.tryton: expected a table"),
    ],
)  # fmt: skip
def test_tryton_source_mistakes(body: object, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings(_tryton(body), tmp_path / "x.toml")


def _fortnox(body: object) -> dict:
    return {"companies": {"acme": {"name": "Acme AB", "sources": {"fortnox": body}}}}


def test_a_fortnox_source_keeps_its_client_secret_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"client_id": "abc", "client_secret_env": "ACME_FORTNOX",
            "redirect_uri": "https://acme.se/cb"}  # fmt: skip
    source = parse_settings(_fortnox(body), tmp_path / "x.toml").companies[0].fortnox
    assert source is not None and source.api_url == "https://api.fortnox.se"
    assert source.auth_url == "https://apps.fortnox.se/oauth-v1" and source.overlap_seconds == 600
    monkeypatch.delenv("ACME_FORTNOX", raising=False)
    with pytest.raises(ConfigError, match="ACME_FORTNOX, which is not set"):
        source.client_secret()
    monkeypatch.setenv("ACME_FORTNOX", "s3cret")
    assert source.client_secret() == "s3cret"
    sandbox = parse_settings(_fortnox({"sandbox": True}), tmp_path / "x.toml").companies[0]
    assert sandbox.fortnox is not None and sandbox.fortnox.sandbox


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"client_id": "abc"}, "client_secret_env, redirect_uri required"),
        ({"client_id": "a", "client_secret_env": "S", "redirect_uri": "https://x/",
          "api_url": "http://api.fortnox.se"}, "api_url http://api.fortnox.se is not HTTPS"),
        ({"client_id": "a", "client_secret_env": "S", "redirect_uri": "acme.se/cb"},
         "redirect_uri must start with https://"),
        ({"sandbox": True, "client_secret": "x"}, "unknown key.s. client_secret"),
        ({"sandbox": True, "overlap_seconds": "ten"}, "'overlap_seconds' must be a number"),
        ("fortnox", "sources.fortnox: expected a table"),
    ],
)  # fmt: skip
def test_fortnox_source_mistakes(body: object, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings(_fortnox(body), tmp_path / "x.toml")


ACME = {"acme": {"name": "A", "sources": {"sie": {"folder": "books"}}}}


def test_automatic_approval_names_master_data_syncs_only(tmp_path: Path) -> None:
    from reverse_etl.syncs import automatic_syncs

    def settings(names: object):
        raw = {"companies": ACME, "reverse_etl": {"approve_automatically": names}}
        return parse_settings(raw, tmp_path / "ledgerbridge.toml")

    assert automatic_syncs(settings(["sync_accounting__customers"])) == {
        "sync_accounting__customers"
    }
    assert automatic_syncs(parse_settings({"companies": ACME}, tmp_path / "x.toml")) == set()
    with pytest.raises(ConfigError, match="always need a person's approval"):
        automatic_syncs(settings(["sync_accounting__correction_vouchers"]))
    with pytest.raises(ConfigError, match="no sync 'sync_accounting__kunder'") as caught:
        automatic_syncs(settings(["sync_accounting__kunder"]))
    assert "sync_accounting__customers" in caught.value.hint
    with pytest.raises(ConfigError, match=r"\[reverse_etl\]: approve_automatically must be"):
        settings("sync_accounting__customers")
    with pytest.raises(ConfigError, match="unknown key"):
        parse_settings(
            {"companies": ACME, "reverse_etl": {"auto": []}}, tmp_path / "ledgerbridge.toml"
        )


def test_field_owners_move_named_fields_to_a_named_side(tmp_path: Path) -> None:
    def owners(raw: object):
        settings = parse_settings(
            {"companies": ACME, "reverse_etl": {"field_owners": raw}},
            tmp_path / "ledgerbridge.toml",
        )
        return settings.reverse_etl.field_owners

    assert owners({"customer": {"address": "accounting"}, "supplier": {"name": "erp"}}) == (
        ("customer", "address", "accounting"),
        ("supplier", "name", "erp"),
    )
    for raw, message in (
        ({"item": {"name": "erp"}}, "no object 'item'; known: customer, supplier, article"),
        ({"article": {"address": "erp"}}, "no field 'address'; known: name, sales_price"),
        ({"customer": {"email": "erp"}}, "no field 'email'; known: name, organisation_number"),
        ({"customer": {"name": "fortnox"}}, 'owner must be "erp" or "accounting"'),
        ({"customer": "accounting"}, "expected a table of field = owner"),
    ):
        with pytest.raises(ConfigError, match=message) as caught:
            owners(raw)
        assert "[reverse_etl].field_owners" in str(caught.value)
