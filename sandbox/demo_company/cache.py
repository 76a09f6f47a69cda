"""The demo company generated once per seed, scale and generator version, then copied.

Generating 10 M GL rows takes the simulation a quarter of an hour on two cores; a benchmark
wants the same books every time, so the output is kept under ``$LEDGERBRIDGE_CACHE/demo/``
(default ``~/.cache/ledgerbridge/demo``) keyed by the options and a hash of every source file
that shapes it. A later call hard-links the cached files into the folder asked for (a copy
where links are not possible): readers must replace a file to change it, never write into it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

from sandbox.demo_company.generator import DemoOptions, DemoResult, generate
from sandbox.tryton.server import cache_folder

_HERE = Path(__file__).resolve().parent
#: Source files whose content shapes the generated files: a change makes a new cache entry.
#: (Every module of the generator; this one and interim.py only read what it wrote.)
_SHAPING = (
    *sorted(p for p in _HERE.glob("*.py") if p.name not in ("cache.py", "interim.py")),
    *sorted((_HERE.parent.parent / "ledgerbridge" / "formats" / "sie").glob("*.py")),
)
_RESULT = "demo_result.pickle"


def demo_cache_folder() -> Path:
    return cache_folder().parent / "demo"


def cache_key(options: DemoOptions) -> str:
    digest = hashlib.sha256(json.dumps(dataclasses.asdict(options), sort_keys=True).encode())
    for path in _SHAPING:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"scale{options.scale}-seed{options.seed}-{digest.hexdigest()[:12]}"


def generate_cached(
    options: DemoOptions,
    folder: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[DemoResult, bool]:
    """The demo company in ``folder``, and whether it came from the cache."""
    entry = demo_cache_folder() / cache_key(options)
    hit = (entry / _RESULT).exists()
    if not hit:
        entry.parent.mkdir(parents=True, exist_ok=True)
        building = entry.with_name(f"{entry.name}.tmp-{os.getpid()}")
        shutil.rmtree(building, ignore_errors=True)
        result = generate(options, building / "demo", progress=progress)
        (building / _RESULT).write_bytes(pickle.dumps(_rebase(result, building / "demo", None)))
        shutil.rmtree(entry, ignore_errors=True)
        os.replace(building, entry)
    cached: DemoResult = pickle.loads((entry / _RESULT).read_bytes())
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(entry / "demo", folder, copy_function=_link_or_copy)
    return _rebase(cached, None, folder), hit


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _rebase(result: DemoResult, old: Path | None, new: Path | None) -> DemoResult:
    """The result with its paths relative (``new`` None) or under ``new``."""

    def move(path: Path) -> Path:
        relative = path.relative_to(old) if old is not None else path
        return new / relative if new is not None else relative

    changes = {}
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, Path):
            changes[field.name] = move(value)
        elif isinstance(value, list) and value and isinstance(value[0], Path):
            changes[field.name] = [move(p) for p in value]
    return dataclasses.replace(result, **changes)
