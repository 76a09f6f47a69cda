"""Reverse-ETL push speed: approved vouchers posted to the Fortnox sandbox (a real server
process on this machine), which answers 429 beyond 25 requests per 5 s per token.

Run with `make bench`. LEDGERBRIDGE_BENCH_PUSH_VOUCHERS sets how many (default 1000, about
200 s at the limit). Prints vouchers posted, requests made, 429s met, the achieved requests per
5 s against the limit of 25 (aim: at least 90 %) and the vouchers found more than once in
Fortnox (must be 0); asserts only that the work was done and nothing was posted twice.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

from ingestion.pipeline import fortnox_client
from ledgerbridge.clients.fortnox import RATE_LIMIT, RATE_WINDOW
from ledgerbridge.config import Paths, parse_settings
from reverse_etl.outbox import NewItem, Outbox
from reverse_etl.push import push
from sandbox.demo_company import DemoOptions, generate
from sandbox.fortnox import running
from sandbox.fortnox.seed import seed_from_demo

VOUCHERS = int(os.environ.get("LEDGERBRIDGE_BENCH_PUSH_VOUCHERS", "1000"))


def voucher(n: int) -> NewItem:
    amount = f"{100 + n % 900}.{n % 100:02d}"
    rows = [
        {"account": "1930", "cost_centre": None, "project": None, "amount": amount},
        {"account": "3041", "cost_centre": "KONS", "project": "P101", "amount": f"-{amount}"},
    ]
    payload = {"text": f"Insättning {n}", "date": "2025-12-15", "series": "A", "rows": rows}
    return NewItem(
        company_id="demo_ab", sync="bench_vouchers", operation="create_voucher",
        destination="fortnox", source_document=f"bench-{n}", finding_id=None, payload=payload,
        version_of={k: payload[k] for k in ("text", "series", "rows")}, needs_approval=True,
        before={}, after={},
    )  # fmt: skip


def test_push_vouchers_to_fortnox_at_the_rate_limit(tmp_path: Path) -> None:
    story = generate(DemoOptions(scale=2000), tmp_path / "story")
    paths = Paths(tmp_path / "home").ensure()
    running.up(paths, lambda store: seed_from_demo(store, story.folder), report=print)
    settings = parse_settings(
        {"companies": {"demo_ab": {"name": "Demo AB", "sources": {"fortnox": {
            "sandbox": True}}}}},
        paths.config_file,
    )  # fmt: skip
    try:
        with Outbox(paths) as outbox:
            _, added, _ = outbox.add_plan(
                "bench", None, [voucher(n) for n in range(VOUCHERS)], {"bench_vouchers"}
            )
            outbox.decide(added, "bench", approve=True)
        time.sleep(RATE_WINDOW + 0.2)  # the authorization's requests leave the window
        started = time.perf_counter()
        result = push(paths, settings, "bench")
        seconds = time.perf_counter() - started
        client = fortnox_client(paths, settings.company("demo_ab"))
        descriptions = Counter(
            voucher["Description"]
            for page in client.pages(
                "/3/vouchers", "Vouchers", {"fromdate": "2025-12-15", "todate": "2025-12-15"}
            )
            for voucher in page
            if voucher["Description"].startswith("Insättning ")
        )
    finally:
        running.down(paths)
    duplicates = sum(n - 1 for n in descriptions.values() if n > 1)
    per_window = result.requests / seconds * RATE_WINDOW
    print(
        f"\npush bench: {len(result.posted):,} vouchers posted to the Fortnox sandbox in "
        f"{seconds:.1f} s ({len(result.posted) / seconds:.2f} vouchers/s)\n"
        f"  requests {result.requests:,}, 429s met {result.rate_limited}, failed "
        f"{len(result.failed)}, not known {len(result.uncertain)}\n"
        f"  {per_window:.1f} requests per {RATE_WINDOW:.0f} s against the limit of "
        f"{RATE_LIMIT} ({per_window / RATE_LIMIT:.0%}; aim at least 90 %)\n"
        f"  vouchers in Fortnox more than once: {duplicates}"
    )
    assert len(result.posted) == VOUCHERS and len(descriptions) == VOUCHERS
    assert duplicates == 0
