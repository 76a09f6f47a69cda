"""``ledgerbridge verify``: what was pushed, against what the next ingestion read back.

The published ledger is searched for the key tokens the pushes wrote into vouchers:

- **posted, not read back**: a POSTED voucher no published ledger holds. That is normal
  until the next ingest → build → publish (and, for a SIE 4I file, until the accounting
  program has imported it). If a publish since the push still lacks it, it is **absent**.
- **present, not recorded**: a voucher in the ledger that carries a token of an item that
  is not POSTED (a push was interrupted after sending; the next push settles it), or of no
  item at all.
- **posted, differs**: a POSTED master-data item whose sync, on data published after the
  push, still proposes a change to the same record: the target does not hold what was
  written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import duckdb

from ledgerbridge.config import Paths, Settings
from ledgerbridge.warehouse import connect_serving, published_at
from reverse_etl.outbox import Item, Outbox, State
from reverse_etl.syncs import proposals

_TOKEN = re.compile(r"\[(lb:[0-9a-f]{10})\]\s*$")


@dataclass(frozen=True)
class Discrepancy:
    kind: str  # absent | not_read_back | present_unrecorded | differs
    company_id: str
    item_id: int | None
    document: str
    details: str


@dataclass(frozen=True)
class Verification:
    published_at: str | None
    posted: int
    read_back: int
    discrepancies: list[Discrepancy]

    @property
    def problems(self) -> list[Discrepancy]:
        """What a person must look at (a voucher not yet read back is not one)."""
        return [d for d in self.discrepancies if d.kind != "not_read_back"]


def _ledger_tokens(paths: Paths) -> dict[str, tuple[str, str]]:
    """token → (company, voucher) for every voucher of the published ledger carrying one."""
    con = connect_serving(paths)
    try:
        rows = con.execute(
            "select distinct company_id, voucher_id, voucher_text from fct_gl_entries "
            "where voucher_text like '%[lb:%]%'"
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    finally:
        con.close()
    found = {}
    for company_id, voucher_id, text in rows:
        match = _TOKEN.search(text or "")
        if match:
            found[match[1]] = (company_id, voucher_id)
    return found


def verify(paths: Paths, settings: Settings) -> Verification:
    published = published_at(paths)
    ledger = _ledger_tokens(paths)
    with Outbox(paths) as outbox:
        items = outbox.items()
    by_token = {item.token: item for item in items}
    discrepancies: list[Discrepancy] = []
    posted = [i for i in items if i.state == State.POSTED]
    vouchers = [i for i in posted if i.operation == "create_voucher"]
    read_back = 0
    for item in vouchers:
        if item.token in ledger:
            read_back += 1
            continue
        absent = _published_since(published, item)
        discrepancies.append(
            Discrepancy(
                "absent" if absent else "not_read_back",
                item.company_id,
                item.item_id,
                item.source_document,
                f"posted {item.updated_at} to {item.target_id}; "
                + (
                    f"the ledger published {published} does not hold it"
                    if absent
                    else "not in a published ledger yet (ingest, build and publish read it back)"
                ),
            )
        )
    for token, (company_id, voucher_id) in sorted(ledger.items()):
        item = by_token.get(token)
        if item is None or item.state != State.POSTED:
            discrepancies.append(
                Discrepancy(
                    "present_unrecorded",
                    company_id,
                    item.item_id if item else None,
                    voucher_id,
                    f"voucher {voucher_id} carries {token}, "
                    + (
                        f"whose item is {item.state}: the next push settles it"
                        if item
                        else "which no outbox item has"
                    ),
                )
            )
    wanted = {(p.sync, p.company_id, p.source_document) for p in proposals(paths, settings)}
    for item in posted:
        if item.operation == "create_voucher" or not _published_since(published, item):
            continue
        read_back += 1
        if (item.sync, item.company_id, item.source_document) in wanted:
            read_back -= 1
            discrepancies.append(
                Discrepancy(
                    "differs",
                    item.company_id,
                    item.item_id,
                    item.source_document,
                    f"posted {item.updated_at}, yet the data published {published} still "
                    "differs from what was written",
                )
            )
    return Verification(published, len(posted), read_back, discrepancies)


def _published_since(published: str | None, item: Item) -> bool:
    if published is None:
        return False
    return datetime.fromisoformat(published) > datetime.fromisoformat(item.updated_at)
