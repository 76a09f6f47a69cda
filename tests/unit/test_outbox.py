"""The outbox's rules: deterministic keys, one live item per key, the state machine, approvals
and an append-only audit log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ledgerbridge.config import Paths
from reverse_etl.outbox import (
    AUTOMATIC,
    TRANSITIONS,
    NewItem,
    Outbox,
    OutboxError,
    State,
    idempotency_key,
    key_token,
)

SYNC = "sync_accounting__correction_vouchers"


def proposal(
    amount: str = "100.00",
    day: str = "2025-12-31",
    document: str = "acme|A|7",
    finding: str | None = "f1",
) -> NewItem:
    rows = [{"account": "1930", "amount": amount}, {"account": "3001", "amount": f"-{amount}"}]
    payload = {"text": "Kundfaktura 7 rättelse", "date": day, "series": "A", "rows": rows}
    return NewItem(
        company_id="acme",
        sync=SYNC,
        operation="create_voucher",
        destination="sie4i",
        source_document=document,
        finding_id=finding,
        payload=payload,
        version_of={k: payload[k] for k in ("text", "series", "rows")},
        needs_approval=True,
        before={},
        after={},
    )


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    box = Outbox(Paths(tmp_path / "home"))
    yield box
    box.close()


def test_the_key_is_the_company_the_document_and_a_version_of_the_change() -> None:
    assert idempotency_key("acme", "acme|A|7", "v1") == "acme|acme|A|7|v1"
    # the date chosen when planning is not part of the change
    assert proposal(day="2025-12-30").key == proposal(day="2025-12-31").key
    assert proposal(amount="100.00").key != proposal(amount="100.01").key
    assert key_token(proposal().key).startswith("lb:") and len(key_token("x")) == 13


def test_planning_the_same_change_twice_adds_one_item(outbox: Outbox) -> None:
    first, new, _ = outbox.add_plan("anna", None, [proposal()], {SYNC})
    second, again, _ = outbox.add_plan("anna", None, [proposal(day="2026-01-02")], {SYNC})
    assert len(new) == 1 and again == [] and second == first + 1
    assert [item.state for item in outbox.items()] == [State.PLANNED]


def test_an_item_no_longer_proposed_is_superseded_and_may_come_back(outbox: Outbox) -> None:
    outbox.add_plan("anna", None, [proposal()], {SYNC})
    _, _, superseded = outbox.add_plan("anna", None, [], {SYNC})
    assert [item.item_id for item in superseded] == [1]
    # the same change wanted again later is a new item under the same key
    _, new, _ = outbox.add_plan("anna", None, [proposal()], {SYNC})
    assert [item.item_id for item in new] == [2]
    assert [item.state for item in outbox.items()] == [State.SUPERSEDED, State.PLANNED]
    assert new[0].idempotency_key == superseded[0].idempotency_key


def test_a_plan_leaves_other_syncs_items_alone(outbox: Outbox) -> None:
    outbox.add_plan("anna", None, [proposal()], {SYNC})
    outbox.add_plan("anna", None, [], {"sync_accounting__customers"})
    assert [item.state for item in outbox.items()] == [State.PLANNED]


def test_approval_records_who_when_and_why(outbox: Outbox) -> None:
    _, [item], _ = outbox.add_plan("anna", None, [proposal()], {SYNC})
    [approved] = outbox.decide([item], "bertil", approve=True, comment="checked")
    assert approved.state == State.APPROVED
    assert (approved.approved_by, approved.decision_comment) == ("bertil", "checked")
    assert approved.approved_at


def test_the_vouchers_of_one_correction_are_decided_together(outbox: Outbox) -> None:
    """A reversal and its rebooking mend one finding: approving or rejecting one decides
    the other, and leaves other findings' items alone."""
    reversal, rebooking = proposal("100.00"), proposal("111.11")
    other = proposal("5.00", document="acme|A|8", finding="f2")
    unfound = proposal("7.00", document="acme|A|9", finding=None)
    _, new, _ = outbox.add_plan("anna", None, [reversal, rebooking, other, unfound], {SYNC})
    decided = outbox.decide([new[1]], "bertil", approve=True)
    assert [item.item_id for item in decided] == [new[0].item_id, new[1].item_id]
    assert [item.state for item in outbox.items()] == [
        State.APPROVED, State.APPROVED, State.PLANNED, State.PLANNED,
    ]  # fmt: skip
    assert [i.item_id for i in outbox.decide([new[3]], "bertil", approve=False)] == [4]
    decisions = [(row[2], row[3], row[5]) for row in outbox.audit() if row[3] != "plan"]
    assert decisions == [
        ("bertil", "approve", 1),
        ("bertil", "approve", 2),
        ("bertil", "reject", 4),
    ]


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], State.SENDING),  # PLANNED cannot be sent before approval
        ([State.APPROVED, State.SENDING, State.POSTED], State.SENDING),  # posted is final
        ([State.REJECTED], State.APPROVED),
        ([State.APPROVED, State.SENDING, State.FAILED_TERMINAL], State.SENDING),
    ],
)
def test_the_state_machine_refuses_what_it_does_not_allow(
    outbox: Outbox, path: list[State], refused: State
) -> None:
    _, [item], _ = outbox.add_plan("anna", None, [proposal()], {SYNC})
    with outbox.transaction() as con:
        for state in path:
            outbox._move(con, item, state)
    with pytest.raises(OutboxError, match=f"cannot become {refused}"), outbox.transaction() as con:
        outbox._move(con, item, refused)
    assert refused not in TRANSITIONS[path[-1] if path else State.PLANNED]


def test_an_item_needing_no_approval_is_approved_by_the_configuration(outbox: Outbox) -> None:
    from dataclasses import replace

    automatic = replace(proposal(document="customer 1003", finding=None), needs_approval=False)
    _, new, _ = outbox.add_plan("anna", None, [automatic, proposal()], {SYNC})
    assert [(i.state, i.approved_by) for i in new] == [
        (State.APPROVED, AUTOMATIC), (State.PLANNED, None),
    ]  # fmt: skip
    audit = [(row[2], row[3], row[5]) for row in outbox.audit()]
    assert audit == [("anna", "plan", 1), ("anna", "approve", 1), ("anna", "plan", 2)]


def test_claiming_commits_sending_and_counts_the_attempt(outbox: Outbox, tmp_path: Path) -> None:
    _, [item], _ = outbox.add_plan("anna", None, [proposal()], {SYNC})
    [item] = outbox.decide([item], "bertil", approve=True)
    outbox.claim([item], "anna", run_id=7)
    # another connection (another process) sees SENDING at once: it was committed
    con = sqlite3.connect(tmp_path / "home" / "state.sqlite")
    try:
        assert con.execute("select state, attempts from retl_items").fetchall() == [("SENDING", 1)]
    finally:
        con.close()


def test_the_audit_log_is_append_only(outbox: Outbox) -> None:
    _, [item], _ = outbox.add_plan("anna", None, [proposal()], {SYNC})
    outbox.decide([item], "bertil", approve=False, comment="no")
    assert [(row[2], row[3]) for row in outbox.audit()] == [("anna", "plan"), ("bertil", "reject")]
    for statement in ("update retl_audit set user_name = 'x'", "delete from retl_audit"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            outbox.con.execute(statement)
    assert len(outbox.audit()) == 2


def test_an_unknown_item_is_a_clear_error(outbox: Outbox) -> None:
    with pytest.raises(OutboxError, match="no outbox item 42"):
        outbox.item(42)
