"""SIE codec speed: read, write and load a large SIE 4E file; and pysie-accounting beside it.

Run with `make bench`. LEDGERBRIDGE_BENCH_SIE_ROWS sets the voucher rows of the generated file
(default 1,800,000, about 100 MB). Each measurement runs in its own process so that its peak
memory (ru_maxrss) is its own. Prints figures; asserts only that the work was done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ingestion.pipeline import ingest
from ledgerbridge.config import Paths, parse_settings
from sandbox.demo_company import DemoOptions, generate

ROWS = int(os.environ.get("LEDGERBRIDGE_BENCH_SIE_ROWS", "1800000"))

READ = textwrap.dedent(
    """
    import json, resource, sys, time
    from ledgerbridge.formats.sie import SieReader, SieWriter
    path, target = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    columnar_rows = 0
    with SieReader(path) as reader:
        for batch in reader.voucher_batches():
            columnar_rows += batch.rows.num_rows
    in_columns = reader.vouchers_in_columns
    columnar = time.perf_counter() - started
    columnar_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    rows = 0
    with SieReader(path) as reader:
        for voucher in reader.vouchers():
            rows += len(voucher.rows)
    read = time.perf_counter() - started
    assert rows == columnar_rows
    started = time.perf_counter()
    with SieReader(path) as reader, SieWriter(target, checksum=True) as writer:
        writer.write_header(reader.header)
        for voucher in reader.vouchers():
            writer.write_voucher(voucher)
    both = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    write = max(both - read, 1e-9)
    print(json.dumps({"rows": rows, "read": read, "write": write, "peak_mb": peak,
                      "columnar": columnar, "columnar_peak_mb": columnar_peak,
                      "in_columns": in_columns}))
    """
)

PYSIE = textwrap.dedent(
    """
    import json, resource, sys, time
    from pysie_accounting.pysie import PySIE
    sie = PySIE()
    sie.open_trans(sys.argv[2])
    started = time.perf_counter()
    sie.open(sys.argv[1])
    seconds = time.perf_counter() - started
    rows = sum(len(v[3]) for v in sie.verifikat.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak}))
    """
)


def measure(script: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def pysie_copy(source: Path, target: Path, trans: Path) -> None:
    """The same books in the form pysie-accounting can read: UTF-8, with #SRU lines (its
    loader joins on them) and series-less voucher numbers it can key on."""
    lines = source.read_bytes().decode("cp437").splitlines()
    accounts = [line.split()[1] for line in lines if line.startswith("#KONTO")]
    out: list[str] = []
    number = 0
    for line in lines:
        if line.startswith("#VER"):
            number += 1
            head, rest = line.split(" ", 3)[:3], line.split(" ", 3)[3]
            line = f'#VER "" "{number}" {rest}'
            del head
        out.append(line)
        if line.startswith("#KONTO"):
            out.append(f"#SRU {line.split()[1]} 7201")
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    trans.write_text("SRU,Ink2\n7201,2.1\n", encoding="utf-8")
    assert accounts


def test_sie_read_write_load(tmp_path: Path) -> None:
    result = generate(DemoOptions(scale=ROWS * 2), tmp_path / "demo")
    path = max(result.sie_files, key=lambda p: p.stat().st_size)
    megabytes = path.stat().st_size / 1e6

    ours = measure(READ, str(path), str(tmp_path / "written.se"))
    written_mb = (tmp_path / "written.se").stat().st_size / 1e6

    paths = Paths(tmp_path / "home").ensure()
    only = tmp_path / "one"
    only.mkdir()
    os.link(path, only / path.name)
    settings = parse_settings(
        {"companies": {"demo_ab": {"name": "Demo AB", "sources": {"sie": {"folder": str(only)}}}}},
        paths.config_file,
    )
    started = time.perf_counter()
    report = ingest(paths, settings)
    load = time.perf_counter() - started
    assert report.outcomes[0].status == "loaded"

    utf8 = tmp_path / "pysie.se"
    trans = tmp_path / "trans.csv"
    pysie_copy(path, utf8, trans)
    try:
        theirs = measure(PYSIE, str(utf8), str(trans))
    except subprocess.CalledProcessError as exc:  # pragma: no cover - depends on that package
        pytest.fail(f"pysie-accounting failed on the file: {exc.stderr[-2000:]}")

    rows = ours["rows"]
    print(
        f"\nSIE 4E file: {megabytes:.1f} MB, {rows:,} voucher rows ({path.name})\n"
        f"  read    {ours['columnar']:6.1f} s  {megabytes / ours['columnar']:5.1f} MB/s  "
        f"{rows / ours['columnar']:9,.0f} rows/s  (voucher_batches(): Arrow columns, streaming, "
        f"with every check; {ours['in_columns']:,} vouchers parsed as columns; "
        f"peak {ours['columnar_peak_mb']:,.0f} MB)\n"
        f"  read    {ours['read']:6.1f} s  {megabytes / ours['read']:5.1f} MB/s  "
        f"{rows / ours['read']:9,.0f} rows/s  (vouchers(): one Python object per voucher)\n"
        f"  write   {ours['write']:6.1f} s  {written_mb / ours['write']:5.1f} MB/s  "
        f"{rows / ours['write']:9,.0f} rows/s  (CP437, with #KSUMMA)\n"
        f"  peak memory of the read+write process: {ours['peak_mb']:,.0f} MB\n"
        f"  load into DuckDB (ledgerbridge ingest, raw_sie) {load:6.1f} s  "
        f"{megabytes / load:5.1f} MB/s  {rows / load:9,.0f} rows/s\n"
        f"  pysie-accounting 0.0.2 on the same books (UTF-8 copy): {theirs['seconds']:6.1f} s  "
        f"{megabytes / theirs['seconds']:5.1f} MB/s, peak {theirs['peak_mb']:,.0f} MB, "
        f"{theirs['rows']:,} rows read; ledgerbridge/pysie time ratio "
        f"{ours['columnar'] / theirs['seconds']:.2f} (columns), "
        f"{ours['read'] / theirs['seconds']:.2f} (objects)"
    )
    assert theirs["rows"] == rows
