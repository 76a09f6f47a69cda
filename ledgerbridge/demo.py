"""``ledgerbridge demo``: Demo AB from nothing to published marts, in one writer session.

The accounting side is the Fortnox sandbox holding the demo company's books, read over the
Fortnox API (``--accounting sie`` reads the books' SIE 4E exports instead, as for any other
accounting program); the ERP side is the sandbox Tryton, seeded from the same story through
Tryton's workflows (``--erp files`` reads the story's JSON export instead, as for an ERP
without a connector). The sandboxes are left running.

``--second-company`` adds Demo Sie AB (``demo_sie_ab``) beside Demo AB: another story (its own
seed, organisation number and parties, the other fiscal-year layout) told with the same account,
customer, supplier, article, invoice and voucher numbers on purpose, so that anything joined
without ``company_id`` shows. Its books are SIE 4E files and its ERP the JSON Lines export (the
sandboxes hold Demo AB only); its files are under ``demo/demo_sie_ab/``, Demo AB's stay in
``demo/``.

The demo owns its home folder: it writes the demo's ledgerbridge.toml there and starts from an
empty warehouse and a fresh sandbox ERP each time, so that changing the seed, the scale or the
fiscal-year layout never mixes two demo companies. It refuses to touch a home that holds a
real company's configuration.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

from ledgerbridge.clients.fortnox_tokens import TokenStore
from ledgerbridge.config import CONFIG_FILENAME, Paths, Settings, load_settings
from ledgerbridge.errors import ConfigError, LedgerbridgeError
from ledgerbridge.warehouse import writer_lock
from sandbox.demo_company import DemoOptions, DemoResult, generate
from sandbox.fortnox import running as fortnox_sandbox
from sandbox.fortnox.running import FortnoxSandboxInfo
from sandbox.fortnox.seed import seed_from_demo
from sandbox.tryton import server, spec_for
from sandbox.tryton.server import SandboxInfo

ErpSide = Literal["tryton", "files"]
AccountingSide = Literal["fortnox", "sie"]

_CONFIG = """\
# Written by `ledgerbridge demo`: the demo company, Demo AB. For a real company, see
# ledgerbridge.example.toml in the repository and the README.
demo = true

[companies.{company_id}]
name = "{name}"
orgnr = "{orgnr}"

{accounting}
# the business account's monthly statements (camt.053) and the suppliers' e-invoices (Peppol)
[companies.{company_id}.sources.bank]
folder = "demo/bank"

[companies.{company_id}.sources.einvoice]
folder = "demo/einvoices"

# the webshop's price list (CSV), read through demo/other/prislista.mapping.yaml
[companies.{company_id}.sources.mapped]
folder = "demo/other"

# the controller's budget per fiscal year, as saved from the spreadsheet (CSV)
[companies.{company_id}.sources.budget]
folder = "demo/budget"
{erp}"""

_ACCOUNTING = {
    "fortnox": """
# the books, in the Fortnox sandbox (`ledgerbridge sandbox up`; sandbox/fortnox.json says
# where it listens; the tokens are in state.sqlite)
[companies.{company_id}.sources.fortnox]
sandbox = true
""",
    "sie": """
# the books, as the accounting program's SIE 4E exports
[companies.{company_id}.sources.sie]
folder = "demo/sie"
""",
}

_ERP = {
    "tryton": """
# the sandbox ERP (`ledgerbridge sandbox up`; sandbox/sandbox.json says where it listens)
[companies.{company_id}.sources.tryton]
sandbox = true
""",
    "files": """
[companies.{company_id}.sources.erp_files]
folder = "demo/erp"
""",
}

#: The second demo company (``--second-company``), and the folder of its files under demo/.
SECOND_COMPANY_ID = "demo_sie_ab"
SECOND_COMPANY_NAME = "Demo Sie AB"

_SECOND_COMPANY = """
# A second company beside Demo AB (`ledgerbridge demo --second-company`): another story told
# with the same account, customer, supplier, article, invoice and voucher numbers, so that
# nothing of one company may reach the other's figures. Its books are SIE 4E exports and its
# ERP the JSON Lines export.
[companies.{company_id}]
name = "{name}"
orgnr = "{orgnr}"

[companies.{company_id}.sources.sie]
folder = "{folder}/sie"

[companies.{company_id}.sources.erp_files]
folder = "{folder}/erp"

[companies.{company_id}.sources.bank]
folder = "{folder}/bank"

[companies.{company_id}.sources.einvoice]
folder = "{folder}/einvoices"

[companies.{company_id}.sources.mapped]
folder = "{folder}/other"

[companies.{company_id}.sources.budget]
folder = "{folder}/budget"
"""


def second_company_options(first: DemoOptions) -> DemoOptions:
    """Demo Sie AB's story beside a Demo AB of these options: another seed (its own
    organisation number, parties and figures), the same scale and first year (so its numbers
    run over the same ranges as Demo AB's), and the other fiscal-year layout (July–June
    beside calendar years, or the reverse). The seed is Demo AB's + 2 rather than + 1: with
    the default seed, + 1 plants its unbooked invoices on the very numbers Demo AB leaves
    unbooked, + 2 books those numbers cleanly, so a check that matched Demo AB's ERP invoices
    to Demo Sie AB's vouchers would lose Demo AB's findings, visibly."""
    return replace(
        first,
        seed=first.seed + 2,
        broken_year=not first.broken_year,
        company_id=SECOND_COMPANY_ID,
        company_name=SECOND_COMPANY_NAME,
    )


@dataclass
class DemoSession:
    generated: DemoResult
    settings: Settings
    erp: SandboxInfo | None  # the sandbox ERP, when the ERP side is Tryton
    books: FortnoxSandboxInfo | None  # the Fortnox sandbox, when the books are there
    second: DemoResult | None = None  # Demo Sie AB, with --second-company


@contextlib.contextmanager
def run_demo(
    paths: Paths,
    *,
    seed: int,
    scale: int,
    broken_year: bool,
    erp: ErpSide = "tryton",
    accounting: AccountingSide = "fortnox",
    second_company: bool = False,
    on_day: Callable[[int, int], None] | None = None,
    report: server.StepReporter = print,
    on_replay: Callable[[int, int, str], None] | None = None,
    on_second_day: Callable[[int, int], None] | None = None,
) -> Iterator[DemoSession]:
    """Hold the writer lock, generate Demo AB (and Demo Sie AB with ``second_company``),
    start its sandbox ERP and reset the warehouse; the caller then ingests, builds and
    publishes inside the ``with`` block (each step re-enters the lock)."""
    with writer_lock(paths, "ledgerbridge demo"):
        _refuse_real_company(paths)
        options = DemoOptions(seed=seed, scale=scale, broken_year=broken_year)
        # the old demo goes first: a demo that fails half-way leaves no configuration that
        # would mix the new story's files into the old warehouse
        paths.config_file.unlink(missing_ok=True)
        paths.warehouse.unlink(missing_ok=True)
        paths.warehouse.with_name(paths.warehouse.name + ".wal").unlink(missing_ok=True)
        shutil.rmtree(paths.dlt_pipelines, ignore_errors=True)
        second_folder = paths.demo / SECOND_COMPANY_ID
        shutil.rmtree(second_folder, ignore_errors=True)
        try:
            result = generate(options, paths.demo, progress=on_day)
            second = (
                generate(second_company_options(options), second_folder, progress=on_second_day)
                if second_company
                else None
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        sandbox = None
        if erp == "tryton":
            server.discard(paths)
            try:
                sandbox = server.up(
                    paths,
                    lambda: server.seeded_database(
                        spec_for(options), result.erp_folder, report=report, progress=on_replay
                    ),
                    report=report,
                )
            except LedgerbridgeError as exc:
                exc.hint = exc.hint or (
                    "run `ledgerbridge demo` again (a replay that got this far is not cached), "
                    "or `ledgerbridge demo --erp files` for the demo without the ERP server"
                )
                raise
        else:
            stopped = server.down(paths)
            if stopped is not None:
                report(f"stopped the sandbox ERP at {stopped.url}: this demo's ERP is files")
        # a new demo company is a new Fortnox: its books and the old tokens go
        fortnox_sandbox.discard(paths)
        TokenStore(paths, result.options.company_id).forget()
        books = None
        if accounting == "fortnox":
            books = fortnox_sandbox.up(
                paths, lambda store: seed_from_demo(store, result.folder), report=report
            )
        company_id = result.options.company_id
        config = _CONFIG.format(
            company_id=company_id,
            name=result.options.company_name,
            orgnr=result.orgnr,
            accounting=_ACCOUNTING[accounting].lstrip().format(company_id=company_id),
            erp=_ERP[erp].format(company_id=company_id),
        )
        if second is not None:
            config += _SECOND_COMPANY.format(
                company_id=second.options.company_id,
                name=second.options.company_name,
                orgnr=second.orgnr,
                folder=second_folder.relative_to(paths.home).as_posix(),
            )
        paths.config_file.write_text(config, encoding="utf-8")
        yield DemoSession(result, load_settings(paths, paths.config_file), sandbox, books, second)


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
