"""Tryton's JSON-RPC values to Python and to raw_tryton columns, without a server."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import requests

from ingestion.sources.tryton import ENTITIES, SyncState, entity_rows
from ledgerbridge.clients.tryton import _decode, _encode, _module_guess, _server_time


def test_tryton_types_travel_both_ways_exactly() -> None:
    values = [datetime(2024, 3, 5, 14, 7, 9, 123456), date(2024, 2, 29), Decimal("-0.10")]
    wire = json.loads(json.dumps(_encode(values)))
    assert json.loads(json.dumps(wire), object_hook=_decode) == values
    assert wire[2] == {"__class__": "Decimal", "decimal": "-0.10"}


def test_the_module_to_activate_is_named_after_the_model() -> None:
    assert _module_guess("sale.subscription") == "sale_subscription"
    assert _module_guess("party.party") == "party"


def test_raw_rows_keep_money_exact_and_lists_as_json() -> None:
    invoices = next(e for e in ENTITIES if e.name == "invoices")
    moves = next(e for e in ENTITIES if e.name == "stock_moves")
    now = datetime(2026, 1, 1)
    table = entity_rows(
        invoices,
        [{"id": 7, "type": "out", "number": "10001", "party": 3, "total_amount":
          Decimal("1234.5"), "payment_lines": [12, 4], "move": None, "description": False}],
        "demo_ab", now,
    ).data  # (the Arrow table inside dlt's table hints)  # fmt: skip
    row = table.to_pylist()[0]
    assert row["total_amount"] == Decimal("1234.50") and row["payment_lines"] == "[4, 12]"
    assert row["party"] == 3 and row["move"] is None and row["description"] is None
    assert table.schema.field("total_amount").type == pa.decimal128(18, 2)
    quantity = entity_rows(moves, [{"id": 1, "quantity": 0.1 + 0.2}], "demo_ab", now).data
    assert quantity.to_pylist()[0]["quantity"] == Decimal("0.3000")


def test_the_overlap_reaches_back_from_the_last_read_not_from_the_mark() -> None:
    overlap = timedelta(minutes=5)
    mark = datetime(2026, 3, 2, 10, 0)
    assert SyncState().start(None, overlap) is None
    # no record of when the last read ran: the whole overlap before the mark
    assert SyncState().start(mark, overlap) == mark - overlap
    # read a minute after the last write: what was still running then began after 9:56
    just_after = SyncState(read_at=mark + timedelta(minutes=1))
    assert just_after.start(mark, overlap) == mark - timedelta(minutes=4)
    # read an hour after a burst of writes: nothing can have been running at the read with
    # a timestamp before the mark
    assert SyncState(read_at=mark + timedelta(hours=1)).start(mark, overlap) == mark


def test_the_servers_clock_comes_from_its_date_header() -> None:
    answer = requests.Response()
    answer.headers["Date"] = "Wed, 02 Dec 2026 01:08:36 GMT"
    assert _server_time(answer) == datetime(2026, 12, 2, 1, 8, 36)
    del answer.headers["Date"]
    assert _server_time(answer) is None
    answer.headers["Date"] = "not a date"
    assert _server_time(answer) is None
