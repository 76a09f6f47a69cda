"""An export from a system we have no connector for: the webshop's price list, as a Swedish
spreadsheet writes CSV (semicolons, decimal commas with a space between thousands,
Windows-1252), with the mapping that tells ledgerbridge how to read it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

MAPPING = """\
# The webshop's price list (Prislista från webbshopen), exported from its admin as CSV.
system: webshop
entity: articles
files: "prislista*.csv"
format: csv
csv:
  delimiter: ";"
  encoding: cp1252
decimal_comma: true
fields:
  article_number: Artikelnr
  name: Benämning
  unit: Enhet
  vat_rate: {from: Momssats, type: decimal}
  sales_price: {from: Pris exkl moms, type: money}
  purchase_price: {from: Inköpspris, type: money}
"""


def _swedish(amount: Decimal) -> str:
    whole, _, cents = f"{amount:.2f}".partition(".")
    groups = []
    while len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    return " ".join([whole, *groups]) + "," + cents


def write_price_list(folder: Path, erp_folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(erp_folder / "articles.jsonl", encoding="utf-8") as handle:
        articles = [json.loads(line) for line in handle if line.strip()]
    lines = ["Artikelnr;Benämning;Enhet;Momssats;Pris exkl moms;Inköpspris"]
    for article in articles:
        lines.append(
            ";".join(
                (
                    article["number"],
                    article["name"],
                    article["unit"],
                    str(article["vat_rate"]),
                    _swedish(Decimal(article["sales_price"])),
                    _swedish(Decimal(article["standard_cost"])),
                )
            )
        )
    data = folder / "prislista_webbshop.csv"
    data.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    mapping = folder / "prislista.mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return [data, mapping]
