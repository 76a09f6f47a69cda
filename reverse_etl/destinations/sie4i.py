"""Vouchers as a SIE 4I file, which every Swedish accounting program imports.

One file per company and push, in ``$LEDGERBRIDGE_HOME/outbox/<company>/``, written to a
temporary name and renamed into place (the SIE writer does that), then a sidecar
``<file>.json`` listing the outbox items it carries. Each voucher's text ends with its key
token (``[lb:…]``), so after an interrupted push the files themselves say which items were
written: a file is there whole or not at all.

Vouchers are unnumbered: the importing program numbers them in the series given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from ledgerbridge import __version__
from ledgerbridge.config import Company, Paths
from ledgerbridge.errors import InvalidInputError
from ledgerbridge.formats.sie import (
    DIM_COST_CENTRE,
    DIM_PROJECT,
    Dimension,
    SieHeader,
    SieReader,
    Voucher,
    VoucherRow,
)
from ledgerbridge.formats.sie.writer import write_sie
from reverse_etl.destinations.base import DestinationError, Outcome
from reverse_etl.outbox import Item, State


def voucher_of(item: Item, signature: str) -> Voucher:
    """The SIE voucher an outbox item carries, its key token at the end of its text."""
    payload = item.payload
    day = date.fromisoformat(payload["date"])
    rows = []
    for row in payload["rows"]:
        objects = []
        if row.get("cost_centre"):
            objects.append((DIM_COST_CENTRE, row["cost_centre"]))
        if row.get("project"):
            objects.append((DIM_PROJECT, row["project"]))
        rows.append(VoucherRow("TRANS", row["account"], Decimal(row["amount"]), tuple(objects)))
    return Voucher(
        series=payload.get("series") or "",
        number="",
        date=day,
        text=f"{payload['text']} [{item.token}]",
        registered=day,
        signature=signature,
        rows=rows,
    )


class Sie4iDestination:
    def __init__(self, paths: Paths, user: str = "ledgerbridge") -> None:
        self.paths = paths
        self.user = user

    def folder(self, company: Company) -> Path:
        return self.paths.outbox / company.id

    def send(self, company: Company, items: list[Item]) -> Iterator[tuple[Item, Outcome]]:
        folder = self.folder(company)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = folder / f"{company.id}-{stamp}-{items[0].item_id}.si"
        header = SieHeader(
            program="ledgerbridge",
            program_version=__version__,
            generated=datetime.now(UTC).date(),
            generated_by=self.user,
            sie_type="4",
            orgnr=company.orgnr,
            company_name=company.name,
            dimensions={
                DIM_COST_CENTRE: Dimension(DIM_COST_CENTRE, "Resultatenhet"),
                DIM_PROJECT: Dimension(DIM_PROJECT, "Projekt"),
            },
        )
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_sie(path, header, [voucher_of(item, self.user) for item in items], kind="4I")
            _write_sidecar(path, company, items)
        except OSError as exc:
            raise DestinationError(f"{path}: could not be written ({exc})", retryable=True) from exc
        for item in items:
            yield item, Outcome(State.POSTED, path.name)

    def lookup(self, company: Company, items: list[Item]) -> dict[int, str]:
        """Which of these items a file in the company's outbox folder already carries."""
        by_token = {item.token: item for item in items}
        found: dict[int, str] = {}
        for path in sorted(self.folder(company).glob("*.si")):
            carried = [by_token[token] for token in _tokens(path) if token in by_token]
            for item in carried:
                found[item.item_id] = path.name
            if carried and not path.with_name(path.name + ".json").exists():
                _write_sidecar(path, company, carried)  # written, then interrupted before it
        return found


def _write_sidecar(path: Path, company: Company, items: list[Item]) -> None:
    sidecar = path.with_name(path.name + ".json")
    partial = sidecar.with_name(sidecar.name + ".partial")
    partial.write_text(
        json.dumps(
            {
                "file": path.name,
                "company_id": company.id,
                "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "items": [
                    {
                        "item_id": item.item_id,
                        "idempotency_key": item.idempotency_key,
                        "token": item.token,
                        "source_document": item.source_document,
                        "finding_id": item.finding_id,
                        "payload_sha256": item.payload_hash,
                        "text": item.payload.get("text"),
                        "date": item.payload.get("date"),
                    }
                    for item in items
                ],
            },
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    os.replace(partial, sidecar)


def _tokens(path: Path) -> set[str]:
    """The key tokens of the vouchers in one of our 4I files."""
    tokens = set()
    try:
        with SieReader(path) as reader:
            for voucher in reader.vouchers():
                text = voucher.text or ""
                if text.endswith("]") and "[lb:" in text:
                    tokens.add(text[text.rindex("[") + 1 : -1])
    except InvalidInputError:
        return set()  # not one of ours, or damaged: it carries nothing we wrote
    return tokens
