"""rec_findings on the demo: exactly the discrepancies the generator planted, with stable ids."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb

from tests.conftest import run_cli

COLUMNS = (
    "finding_id, company_id, kind, document, severity, details, suggested_action, document_type"
)


def findings(database: Path, table: str = "rec_findings") -> list[tuple]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(f"select {COLUMNS} from {table} order by finding_id").fetchall()
    finally:
        con.close()


def test_rec_findings_are_exactly_the_planted_discrepancies(demo_home: Path) -> None:
    """Every discrepancy of ground_truth.json is found, and nothing else is reported; the
    table is published to serving.duckdb, where the dashboards read it."""
    truth = json.loads((demo_home / "demo" / "ground_truth.json").read_text(encoding="utf-8"))
    rows = findings(demo_home / "serving.duckdb")
    found = [(company, kind, document) for _, company, kind, document, *_ in rows]
    planted = [(t["company_id"], t["kind"], t["document"]) for t in truth]
    assert sorted(found) == sorted(planted)
    assert len(set(planted)) == len(planted) == 9  # every kind, both unbooked invoices…
    for finding_id, company, kind, document, severity, details, action, doc_type in rows:
        # the id is the hash of what the finding is about, not of where it sits in the table
        key = f"{company}|{kind}|{doc_type}|{document}".encode()
        assert finding_id == hashlib.md5(key).hexdigest()
        # the type says what the document is, as the details do
        if kind == "inventory_value_mismatch":
            assert doc_type == "warehouse"
        else:
            assert details.startswith(doc_type.replace("_", " ") + " " + document)
        assert severity in {"high", "medium", "low"}
        assert document in details and action
    by_kind = {(kind, document): details for _, _, kind, document, _, details, *_ in rows}
    # the figures a controller needs are in the details, as the generator planted them
    assert "5891.20" in by_kind[("amount_mismatch", "10091")]
    assert "6545.77" in by_kind[("amount_mismatch", "10091")]
    assert "1562.21" in by_kind[("inventory_value_mismatch", "GOT")]
    assert "P103" in by_kind[("dimension_mismatch", "10116")]
    assert "LAGER" in by_kind[("dimension_mismatch", "10126")]
    assert "Gamla Vägen 3" in by_kind[("master_data_mismatch", "1003")]
    assert "5050-1055" in by_kind[("master_data_mismatch", "2002")]


def test_finding_ids_are_stable_across_builds(demo_home: Path, tmp_path: Path) -> None:
    """Building everything again on unchanged data gives the same findings under the same
    ids."""
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    before = findings(home / "warehouse.duckdb", "marts.rec_findings")
    result = run_cli("build", "--all", home=home)
    assert result.returncode == 0, result.output
    after = findings(home / "warehouse.duckdb", "marts.rec_findings")
    assert after == before and len(after) == 9
    assert before == findings(demo_home / "serving.duckdb")


def test_status_lists_the_findings(demo_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    result = run_cli("status", home=home)
    assert result.returncode == 0, result.output
    assert "Reconciliation: 9 findings to act on" in result.output
    truth = json.loads((demo_home / "demo" / "ground_truth.json").read_text(encoding="utf-8"))
    for planted in truth:
        assert planted["kind"] in result.output and planted["document"] in result.output


def test_supplier_invoices_are_matched_by_supplier_not_by_fortnox_numbering(
    demo_home: Path, tmp_path: Path
) -> None:
    """Fortnox numbers supplier invoices itself (GivenNumber): in the demo's sandbox that
    number is the ERP's, in a real Fortnox it is not. Renumbered in the landed data (the
    register, its payments, the vouchers' references and their texts), the supplier invoices
    are still matched to the ERP's by supplier and the supplier's own invoice number, and the
    findings stay the same, the duplicate booking now named by Fortnox's number."""
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        con.execute(
            "update raw_fortnox.supplier_invoices set given_number = "
            "cast(cast(given_number as bigint) + 900000 as varchar)"
        )
        con.execute(
            "update raw_fortnox.supplier_invoice_payments set invoice_number = "
            "cast(cast(invoice_number as bigint) + 900000 as varchar)"
        )
        con.execute(
            "update raw_fortnox.vouchers set reference_number = "
            "cast(cast(reference_number as bigint) + 900000 as varchar) "
            "where reference_type in ('SUPPLIERINVOICE', 'SUPPLIERPAYMENT')"
        )
        renamed = con.execute(
            "update raw_fortnox.vouchers set description = regexp_replace(description, "
            "'^Leverantörsfaktura (\\d+)', 'Leverantörsfaktura 9\\1') "
            "where description like 'Leverantörsfaktura %'"
        ).fetchone()[0]
    finally:
        con.close()
    assert renamed > 30
    result = run_cli("build", home=home)
    assert result.returncode == 0, result.output
    after = {
        (kind, document): details
        for _, _, kind, document, _, details, *_ in findings(
            home / "warehouse.duckdb", "marts.rec_findings"
        )
    }
    before = {
        (kind, document) for _, _, kind, document, *_ in findings(demo_home / "serving.duckdb")
    }
    assert set(after) == (before - {("duplicate_booking", "50013")}) | {
        ("duplicate_booking", "950013")
    }
    assert "supplier 2002, their number 027013" in after[("duplicate_booking", "950013")]
