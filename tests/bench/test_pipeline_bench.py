"""The whole loop at benchmark scale: generate → ingest → build → publish, timed.

Run with `make bench`. Scales (target GL rows) come from LEDGERBRIDGE_BENCH_SCALES, default
"100000,1000000". Prints its figures; asserts only that the work was done, never how fast.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import duckdb
import pytest

from ingestion.pipeline import ingest
from ledgerbridge.build import build
from ledgerbridge.config import Paths, parse_settings
from ledgerbridge.warehouse import publish
from sandbox.demo_company import DemoOptions, generate

SCALES = [int(s) for s in os.environ.get("LEDGERBRIDGE_BENCH_SCALES", "100000,1000000").split(",")]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("scale", SCALES)
def test_whole_loop(scale: int, tmp_path: Path) -> None:
    paths = Paths(tmp_path / "home").ensure()
    started = time.perf_counter()
    result = generate(DemoOptions(scale=scale), paths.demo)
    generated = time.perf_counter()
    sie_bytes = sum(p.stat().st_size for p in result.sie_files)
    settings = parse_settings(
        {
            "companies": {
                "demo_ab": {
                    "name": "Demo AB",
                    "sources": {
                        "sie": {"folder": str(paths.demo / "sie")},
                        "erp_files": {"folder": str(paths.demo / "erp")},
                    },
                }
            }
        },
        paths.config_file,
    )
    ingest(paths, settings)
    ingested = time.perf_counter()
    built = build(paths)
    done_build = time.perf_counter()
    published = publish(paths)
    done = time.perf_counter()
    con = duckdb.connect(str(paths.serving), read_only=True)
    try:
        gl_rows = con.execute("select count(*) from fct_gl_entries").fetchone()[0]
    finally:
        con.close()
    assert gl_rows == result.gl_rows and built.failed == 0 and published.tables
    erp_records = sum(result.erp_records.values())
    seconds = {
        "generate": generated - started,
        "ingest": ingested - generated,
        "build": done_build - ingested,
        "publish": done - done_build,
    }
    print(
        f"\nscale {scale:,}: {result.gl_rows:,} GL rows, {erp_records:,} ERP records, "
        f"{sie_bytes / 1e6:.1f} MB of SIE\n"
        f"  generate {seconds['generate']:7.1f} s"
        f"  ({result.gl_rows / seconds['generate']:,.0f} GL rows/s)\n"
        f"  ingest   {seconds['ingest']:7.1f} s"
        f"  ({(result.gl_rows + erp_records) / seconds['ingest']:,.0f} rows/s, SIE and ERP)\n"
        f"  build    {seconds['build']:7.1f} s"
        f"  (dbt build, {built.nodes} nodes; dbt's own timer {built.seconds:.1f} s)\n"
        f"  publish  {seconds['publish']:7.1f} s\n"
        f"  total    {done - started:7.1f} s; peak memory of this process {peak_rss_mb():,.0f} MB"
    )
