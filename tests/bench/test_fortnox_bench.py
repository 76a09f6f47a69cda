"""Fortnox connector speed: the demo company loaded through the Fortnox sandbox (a real
server process on this machine), then reads that only the rate limit bounds.

Run with `make bench`. LEDGERBRIDGE_BENCH_FORTNOX_SCALE sets the demo's size (GL rows;
default 20000), LEDGERBRIDGE_BENCH_FORTNOX_READS the vouchers read one by one (default 250,
about 50 s at Fortnox's 25 requests per 5 s). Prints requests made, 429s met and the achieved
requests per 5 s against the limit of 25 (aim: at least 90 %, no failed request); asserts
only that the work was done.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ingestion.pipeline import fortnox_client, ingest
from ledgerbridge.clients.fortnox import RATE_LIMIT, RATE_WINDOW
from ledgerbridge.config import Paths, parse_settings
from sandbox.demo_company import DemoOptions, generate
from sandbox.fortnox import running
from sandbox.fortnox.seed import seed_from_demo

SCALE = int(os.environ.get("LEDGERBRIDGE_BENCH_FORTNOX_SCALE", "20000"))
READS = int(os.environ.get("LEDGERBRIDGE_BENCH_FORTNOX_READS", "250"))


def test_fortnox_load_and_rate_limited_reads(tmp_path: Path) -> None:
    story = generate(DemoOptions(scale=SCALE), tmp_path / "story")
    paths = Paths(tmp_path / "home").ensure()
    started = time.perf_counter()
    running.up(paths, lambda store: seed_from_demo(store, story.folder), report=print)
    seeded = time.perf_counter() - started
    settings = parse_settings(
        {"companies": {"demo_ab": {"name": "Demo AB", "sources": {"fortnox": {
            "sandbox": True}}}}},
        paths.config_file,
    )  # fmt: skip
    try:
        started = time.perf_counter()
        full = ingest(paths, settings).outcomes[0]
        full_seconds = time.perf_counter() - started
        assert full.status == "loaded", full.error

        client = fortnox_client(paths, settings.company("demo_ab"))
        years = client.get("/3/financialyears")["FinancialYears"]
        latest = max(years, key=lambda y: y["FromDate"])["Id"]
        listed = [
            (v["VoucherSeries"], v["VoucherNumber"])
            for page in client.pages("/3/vouchers", "Vouchers", {"financialyear": latest})
            for v in page
        ][:READS]
        time.sleep(RATE_WINDOW + 0.2)  # the load's requests leave the token's window
        before, limited_before = client.stats.requests, client.stats.rate_limited
        started = time.perf_counter()
        answered = []
        for series, number in listed:
            client.get(f"/3/vouchers/{series}/{number}", {"financialyear": latest})
            answered.append(time.perf_counter())
        read_seconds = answered[-1] - started
        reads = client.stats.requests - before
        limited = client.stats.rate_limited - limited_before
    finally:
        running.down(paths)
    # n requests need at least (n - 1) // 25 whole windows from the first to the last: the
    # share of that ideal achieved, and the same as requests per window
    ideal = (reads - 1) // RATE_LIMIT * RATE_WINDOW
    share = ideal / read_seconds
    busiest = max(
        sum(1 for t in answered[i:] if t < start + RATE_WINDOW) for i, start in enumerate(answered)
    )
    stats = full.client
    print(
        f"\nFortnox sandbox seeded with {story.gl_rows:,} GL rows in {story.vouchers:,} vouchers "
        f"in {seeded:.1f} s\n"
        f"full load: {full_seconds:.1f} s, {stats.requests} requests, {stats.rate_limited} "
        f"answered 429, {stats.failed} failed, {sum(full.rows.values()):,} records\n"
        f"vouchers read one by one: {reads} requests in {read_seconds:.1f} s (the limit allows "
        f"them in {ideal:.0f} s at best) = {share * RATE_LIMIT:.1f} requests per "
        f"{RATE_WINDOW:.0f} s against the limit of {RATE_LIMIT} ({share:.0%}); at most {busiest} "
        f"answered in any {RATE_WINDOW:.0f} s; {limited} answered 429, "
        f"{client.stats.failed} failed"
    )
    assert len(listed) == reads and stats.failed == 0
