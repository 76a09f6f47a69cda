"""The sandbox ERP: a real Tryton server holding Demo AB (see server.py and bootstrap.py)."""

from __future__ import annotations

from sandbox.demo_company import DemoOptions


def spec_for(options: DemoOptions) -> dict:
    """What the sandbox database is set up from: the demo company's name, organisation
    number and fiscal years (the same as its SIE files say)."""
    return {
        "company_name": options.company_name,
        "orgnr": options.company_orgnr(),
        "fiscal_years": [[y.start.isoformat(), y.end.isoformat()] for y in options.fiscal_years()],
    }
