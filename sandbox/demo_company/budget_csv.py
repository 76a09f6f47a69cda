"""The demo's budget as a controller uploads it: one CSV per fiscal year, saved from a Swedish
spreadsheet (semicolons, decimal commas with a space between thousands, Windows-1252, Swedish
column names), from the budget the simulation drew up (erp/budget.jsonl)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sandbox.demo_company.other_exports import _swedish

HEADER = "Period;Konto;Resultatenhet;Projekt;Belopp"


def _amount(value: Decimal) -> str:
    """-23 300,00 (a spreadsheet's Swedish number format)."""
    return ("-" if value < 0 else "") + _swedish(abs(value))


def budget_file_name(fiscal_year: str) -> str:
    """budget_2024.csv, budget_2024-25.csv for the broken year 2024/25."""
    return f"budget_{fiscal_year.replace('/', '-')}.csv"


def write_budget_csv(folder: Path, erp_folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    years: dict[str, list[str]] = {}
    with open(erp_folder / "budget.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            years.setdefault(row["fiscal_year"], [HEADER]).append(
                ";".join(
                    (
                        row["period"],
                        row["account"],
                        row["cost_centre"] or "",
                        row["project"] or "",
                        _amount(Decimal(row["amount"])),
                    )
                )
            )
    files = []
    for fiscal_year, lines in years.items():
        path = folder / budget_file_name(fiscal_year)
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
        files.append(path)
    return files
