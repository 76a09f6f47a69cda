"""Demo AB: a deterministic Swedish trading and project company, with planted discrepancies."""

from sandbox.demo_company.generator import DemoOptions, DemoResult, generate

__all__ = ["DemoOptions", "DemoResult", "generate"]
