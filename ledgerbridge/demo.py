"""``ledgerbridge demo``: Demo AB from nothing to published marts, in one writer session.

The demo owns its home folder: it writes the demo's ledgerbridge.toml there and starts from an
empty warehouse each time, so that changing the seed, the scale or the fiscal-year layout never
mixes two demo companies. It refuses to touch a home that holds a real company's configuration.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ledgerbridge.config import CONFIG_FILENAME, Paths, Settings, load_settings
from ledgerbridge.errors import ConfigError
from ledgerbridge.warehouse import writer_lock
from sandbox.demo_company import DemoOptions, DemoResult, generate

_CONFIG = """\
# Written by `ledgerbridge demo`: the demo company, Demo AB. For a real company, see
# ledgerbridge.example.toml in the repository and the README.
demo = true

[companies.{company_id}]
name = "{name}"
orgnr = "{orgnr}"

[companies.{company_id}.sources.sie]
folder = "demo/sie"

[companies.{company_id}.sources.erp_files]
folder = "demo/erp"
"""


@dataclass
class DemoSession:
    generated: DemoResult
    settings: Settings


@contextlib.contextmanager
def run_demo(
    paths: Paths,
    *,
    seed: int,
    scale: int,
    broken_year: bool,
    on_day: Callable[[int, int], None] | None = None,
) -> Iterator[DemoSession]:
    """Hold the writer lock, generate Demo AB and reset the warehouse; the caller then ingests,
    builds and publishes inside the ``with`` block (each step re-enters the lock)."""
    with writer_lock(paths, "ledgerbridge demo"):
        _refuse_real_company(paths)
        try:
            result = generate(
                DemoOptions(seed=seed, scale=scale, broken_year=broken_year),
                paths.demo,
                progress=on_day,
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        paths.config_file.write_text(
            _CONFIG.format(
                company_id=result.options.company_id,
                name=result.options.company_name,
                orgnr=result.orgnr,
            ),
            encoding="utf-8",
        )
        paths.warehouse.unlink(missing_ok=True)
        paths.warehouse.with_name(paths.warehouse.name + ".wal").unlink(missing_ok=True)
        shutil.rmtree(paths.dlt_pipelines, ignore_errors=True)
        yield DemoSession(result, load_settings(paths, paths.config_file))


def _refuse_real_company(paths: Paths) -> None:
    if not paths.config_file.exists():
        return
    settings = load_settings(paths, paths.config_file)
    if not settings.demo:
        raise ConfigError(
            f"{paths.config_file} describes a real company, and the demo would replace its "
            "warehouse",
            hint=f"run the demo in a folder of its own: LEDGERBRIDGE_HOME=.ledgerbridge-demo "
            f"ledgerbridge demo (or remove demo-free {CONFIG_FILENAME} first)",
        )
