"""Tryton connector speed: a full load of the sandbox ERP, then an incremental load after 1 %
of the documents changed.

Run with `make bench`. LEDGERBRIDGE_BENCH_TRYTON_SCALE sets the demo story replayed into
Tryton (default 2000 GL rows: about 200 documents and their deliveries, invoices and
payments; the first run replays it, about 5 minutes, later runs take it from the cache).
Prints figures; asserts only that the work was done.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ingestion.pipeline import ingest
from ledgerbridge.clients.tryton import TrytonClient
from ledgerbridge.config import Paths, parse_settings
from sandbox.demo_company import DemoOptions, generate
from sandbox.tryton import server, spec_for

SCALE = int(os.environ.get("LEDGERBRIDGE_BENCH_TRYTON_SCALE", "2000"))


def test_tryton_full_and_incremental_load(tmp_path: Path) -> None:
    options = DemoOptions(scale=SCALE)
    story = generate(options, tmp_path / "story")
    started = time.perf_counter()
    database, password = server.seeded_database(spec_for(options), story.erp_folder)
    seeded = time.perf_counter() - started
    paths = Paths(tmp_path / "home").ensure()
    info = server.up(paths, lambda: (database, password), report=lambda _s: None)
    settings = parse_settings(
        {"companies": {"demo_ab": {"name": "Demo AB", "sources": {"tryton": {
            "sandbox": True}}}}},
        paths.config_file,
    )  # fmt: skip
    try:
        started = time.perf_counter()
        full = ingest(paths, settings).outcomes[0]
        full_seconds = time.perf_counter() - started
        full_rows = sum(full.rows.values())

        client = TrytonClient(info.url, info.database, info.user, info.password)
        sales = client.search_ids("sale.sale", [])
        invoices = client.search_ids("account.invoice", [])
        parties = client.search_ids("party.party", [])
        documents = len(sales) + len(invoices) + len(parties)
        changed = {
            "sale.sale": sales[:: 100],
            "account.invoice": invoices[:: 100],
            "party.party": parties[:: 100],
        }  # fmt: skip
        client.execute("sale.sale", "write", changed["sale.sale"], {"comment": "ändrad"})
        client.execute(
            "account.invoice", "write", changed["account.invoice"], {"comment": "ändrad"}
        )
        renamed = client.search_read(
            "party.party", [("id", "in", changed["party.party"])], ["name"]
        )
        for party in renamed:
            client.execute("party.party", "write", [party["id"]], {"name": party["name"] + " "})
        touched = sum(len(ids) for ids in changed.values())

        started = time.perf_counter()
        incremental = ingest(paths, settings).outcomes[0]
        incremental_seconds = time.perf_counter() - started
        fetched = sum(incremental.rows.values())
    finally:
        server.down(paths)
    assert full.status == incremental.status == "loaded" and fetched >= touched
    print(
        f"\nTryton sandbox: demo story at scale {SCALE} ({len(sales)} sales, {len(invoices)} "
        f"invoices, {len(parties)} parties); replaying it took {seeded:.1f} s "
        f"({'from the cache' if seeded < 5 else 'built now'})\n"
        f"  full load         {full_rows:7,} records in {full_seconds:5.1f} s  "
        f"{full_rows / full_seconds:7,.0f} records/s\n"
        f"  after changing {touched} of {documents} documents (1 %): incremental load "
        f"fetched {fetched:,} records in {incremental_seconds:.1f} s "
        f"({', '.join(f'{k} {v}' for k, v in sorted(incremental.rows.items()))}); "
        f"{incremental.read:,} read over the wire (the overlap's re-reads of versions already "
        "held are not fetched again)"
    )
