"""The warehouse at benchmark scale: ingest → dbt build → publish, full and after 1 % new data.

Run with `make bench`. Scales (target GL rows) come from LEDGERBRIDGE_BENCH_SCALES, default
"1000000,10000000"; LEDGERBRIDGE_BENCH_NEW_SHARE is the share of GL rows that arrives later
(default 0.01); LEDGERBRIDGE_BENCH_SOURCES limits the sources (default
"sie,erp_files,bank,einvoice,mapped,budget"). The demo company is generated once per scale
and kept in the cache (sandbox/demo_company/cache.py, $LEDGERBRIDGE_CACHE): generating 10 M
rows takes the simulation a quarter of an hour or more.

How new data arrives: the company's books come as SIE 4E exports, one per fiscal year, and an
accounting program exports the open year again when there is more of it. The first load holds
the closed year and an export of the open year made on a day near its end (its balances as of
that day); the new data is the year's final export, holding the same vouchers plus the last
days' (about 1 % of all GL rows). Loading it replaces the open year in raw_sie (decision 0004);
what the build then recomputes is up to the models (incremental ones merge only what changed).
The ERP export, bank statements, e-invoices and budgets are loaded whole the first time and
are unchanged the second.

Prints rows, seconds (wall clock, and CPU: on a shared machine the wall clock measures the
others too), rows/s, peak memory and file sizes, and the ten slowest dbt nodes of each build
from dbt's run_results.json; asserts only that the work was done, never how fast. It replaces
the whole-loop benchmark that loaded SIE and the ERP export at 100k and 1M rows.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import pytest

from ingestion.pipeline import ingest
from ledgerbridge.build import BuildResult, build
from ledgerbridge.config import Paths, Settings, parse_settings
from ledgerbridge.warehouse import publish
from sandbox.demo_company import DemoOptions
from sandbox.demo_company.cache import generate_cached
from sandbox.demo_company.interim import write_interim_export

T = TypeVar("T")

SCALES = [
    int(s) for s in os.environ.get("LEDGERBRIDGE_BENCH_SCALES", "1000000,10000000").split(",")
]
NEW_SHARE = float(os.environ.get("LEDGERBRIDGE_BENCH_NEW_SHARE", "0.01"))
#: the demo's sources that need no server, and where the generator writes each
FOLDERS = {
    "sie": "sie",
    "erp_files": "erp",
    "bank": "bank",
    "einvoice": "einvoices",
    "mapped": "other",
    "budget": "budget",
}
SOURCES = os.environ.get("LEDGERBRIDGE_BENCH_SOURCES", ",".join(FOLDERS)).split(",")


def bench_settings(paths: Paths) -> Settings:
    """Demo AB as a company whose books come as SIE files and its ERP as an export: every
    source but the two that need a server (Tryton, Fortnox), or those LEDGERBRIDGE_BENCH_SOURCES
    names (sie is always one)."""
    demo = paths.demo
    return parse_settings(
        {
            "companies": {
                "demo_ab": {
                    "name": "Demo AB",
                    "sources": {
                        source: {"folder": str(demo / folder)}
                        for source, folder in FOLDERS.items()
                        if source in SOURCES
                    },
                }
            }
        },
        paths.config_file,
    )


def cpu_seconds() -> float:
    """CPU time of this process and of the children it waited for (dbt): on a machine shared
    with other work the wall-clock time says more about the others than about us."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Step:
    wall: dict[str, float]  # seconds per part: ingest, build, publish
    cpu: dict[str, float]
    built: BuildResult
    nodes: list[dict]  # run_results.json's results

    def line(self, part: str) -> str:
        return f"{self.wall[part]:8.1f} s  (CPU {self.cpu[part]:7.1f} s)"

    @property
    def total(self) -> float:
        return sum(self.wall.values())


def run_path(paths: Paths, settings: Settings) -> Step:
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(part: str, work: Callable[[], T]) -> T:
        started, used = time.perf_counter(), cpu_seconds()
        result = work()
        wall[part], cpu[part] = time.perf_counter() - started, cpu_seconds() - used
        return result

    timed("ingest", lambda: ingest(paths, settings))
    built = timed("build", lambda: build(paths))
    published = timed("publish", lambda: publish(paths))
    assert built.failed == 0 and published.tables
    results = json.loads((paths.dbt_target / "run_results.json").read_text())["results"]
    return Step(wall, cpu, built, results)


def materializations(paths: Paths) -> dict[str, str]:
    manifest = json.loads((paths.dbt_target / "manifest.json").read_text())
    return {
        unique_id: node["config"].get("materialized", "")
        for unique_id, node in manifest["nodes"].items()
    }


def slowest(step: Step, kinds: dict[str, str], count: int = 10) -> str:
    by_kind: dict[str, float] = defaultdict(float)
    for node in step.nodes:
        by_kind[node["unique_id"].split(".")[0]] += node["execution_time"]
    lines = [
        "      by kind: "
        + ", ".join(f"{kind}s {seconds:.1f} s" for kind, seconds in sorted(by_kind.items()))
    ]
    for node in sorted(step.nodes, key=lambda n: -n["execution_time"])[:count]:
        unique_id = node["unique_id"]
        name = unique_id.split(".", 2)[-1]
        if unique_id.startswith("test."):
            name = name.rsplit(".", 1)[0]
        rows = (node.get("adapter_response") or {}).get("rows_affected")
        lines.append(
            f"      {node['execution_time']:7.1f} s  {kinds.get(unique_id, 'test'):11} {name}"
            + (f"  ({rows:,} rows)" if isinstance(rows, int) and rows >= 0 else "")
        )
    return "\n".join(lines)


def count(database: Path, sql: str) -> int:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


# generating, loading and building 10 M rows twice takes longer than the suite's 30 minutes
@pytest.mark.timeout(4 * 3600)
@pytest.mark.parametrize("scale", SCALES)
def test_warehouse_full_and_incremental(scale: int, tmp_path: Path) -> None:
    paths = Paths(tmp_path / "home").ensure()
    started = time.perf_counter()
    demo, from_cache = generate_cached(DemoOptions(scale=scale), paths.demo)
    generated = time.perf_counter() - started
    settings = bench_settings(paths)

    # the first load: the closed year, and the open year as exported a few days before its end
    open_year = demo.sie_files[-1]
    final_export = paths.home / open_year.name  # out of the SIE folder until it arrives
    os.replace(open_year, final_export)
    interim = write_interim_export(final_export, open_year, round(demo.gl_rows * NEW_SHARE))
    first_rows = demo.gl_rows - interim.later_rows
    full = run_path(paths, settings)
    assert count(paths.serving, "select count(*) from fct_gl_entries") == first_rows
    warehouse_mb = paths.warehouse.stat().st_size / 1e6

    # the new data: the open year's final export replaces the interim one
    os.replace(final_export, open_year)
    incremental = run_path(paths, settings)
    assert count(paths.serving, "select count(*) from fct_gl_entries") == demo.gl_rows
    assert count(paths.warehouse, "select count(*) from raw_sie.voucher_rows") == demo.gl_rows

    kinds = materializations(paths)
    incremental_models = sorted(
        unique_id.split(".")[-1] for unique_id, kind in kinds.items() if kind == "incremental"
    )
    erp_records = sum(demo.erp_records.values())
    sie_mb = sum(p.stat().st_size for p in demo.sie_files) / 1e6
    print(
        f"\nwarehouse bench, scale {scale:,}: {demo.gl_rows:,} GL rows in {demo.vouchers:,} "
        f"vouchers ({sie_mb:,.0f} MB of SIE), {erp_records:,} ERP records, "
        f"{len(demo.bank_files)} bank statements, {len(demo.einvoice_files):,} e-invoices\n"
        + (
            f"  demo data from the cache ({generated:.1f} s to link it)\n"
            if from_cache
            else f"  demo data generated in {generated:.1f} s "
            f"({demo.gl_rows / generated:,.0f} GL rows/s; cached for the next run)\n"
        )
        + f"  first load: {first_rows:,} GL rows (the open year as of {interim.cutoff})\n"
        f"    ingest   {full.line('ingest')}  ({first_rows / full.wall['ingest']:,.0f} GL rows/s; "
        f"sources: {', '.join(SOURCES)})\n"
        f"    build    {full.line('build')}  ({first_rows / full.wall['build']:,.0f} GL rows/s; "
        f"dbt build of {full.built.nodes} nodes, dbt's own timer {full.built.seconds:.1f} s)\n"
        f"    publish  {full.line('publish')}\n"
        f"    total    {full.total:8.1f} s\n"
        f"  then {interim.later_rows:,} new GL rows ({interim.later_rows / demo.gl_rows:.1%}): "
        f"the open year's final export replaces the interim one\n"
        f"    ingest   {incremental.line('ingest')}  "
        f"({incremental.wall['ingest'] / full.wall['ingest']:.0%} of the first)\n"
        f"    build    {incremental.line('build')}  "
        f"({incremental.wall['build'] / full.wall['build']:.0%} of the first; "
        f"incremental models: {', '.join(incremental_models) or 'none'})\n"
        f"    publish  {incremental.line('publish')}\n"
        f"    total    {incremental.total:8.1f} s  ({incremental.total / full.total:.0%} of the "
        "first)\n"
        f"  warehouse.duckdb {warehouse_mb:,.0f} MB after the first load, "
        f"{paths.warehouse.stat().st_size / 1e6:,.0f} MB after the second; serving.duckdb "
        f"{paths.serving.stat().st_size / 1e6:,.0f} MB\n"
        f"  peak memory: this process (generator, ingest, publish) "
        f"{peak_rss_mb(resource.RUSAGE_SELF):,.0f} MB, its largest child (dbt, dlt's workers) "
        f"{peak_rss_mb(resource.RUSAGE_CHILDREN):,.0f} MB\n"
        f"  slowest dbt nodes of the first build:\n{slowest(full, kinds)}\n"
        f"  slowest dbt nodes of the build after new data:\n{slowest(incremental, kinds)}"
    )
