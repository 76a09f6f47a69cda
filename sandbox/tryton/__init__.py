"""The sandbox ERP: a real Tryton server holding Demo AB (see server.py and bootstrap.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # kept out of the import: the CLI reads REPLAY_SCALE at start-up
    from sandbox.demo_company import DemoOptions

#: The demo story's size (general-ledger rows over two years) that `ledgerbridge demo` and
#: `sandbox up` replay by default: about 200 sales and purchases and 300 stock moves, which
#: Tryton's workflows take 5–10 minutes to replay here (once; the result is cached).
REPLAY_SCALE = 2000


def spec_for(options: DemoOptions) -> dict:
    """What the sandbox database is set up from: the demo company's name, organisation
    number and fiscal years (the same as its SIE files say)."""
    return {
        "company_name": options.company_name,
        "orgnr": options.company_orgnr(),
        "fiscal_years": [[y.start.isoformat(), y.end.isoformat()] for y in options.fiscal_years()],
    }
