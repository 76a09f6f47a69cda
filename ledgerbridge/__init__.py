"""ledgerbridge: ERP ⇄ Swedish accounting system, through a DuckDB warehouse."""

__version__ = "0.1.0"
