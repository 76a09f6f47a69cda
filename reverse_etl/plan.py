"""``ledgerbridge plan``: what the syncs propose, recorded as a plan in the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledgerbridge.config import Paths, Settings
from ledgerbridge.warehouse import published_at
from reverse_etl.outbox import Item, Outbox, State
from reverse_etl.syncs import SYNCS, proposals


@dataclass(frozen=True)
class PlanResult:
    plan_id: int
    proposed: int
    new: list[Item]
    superseded: list[Item]
    waiting: list[Item]  # every item of any plan still PLANNED (to approve or reject)


def plan(
    paths: Paths, settings: Settings, user: str, *, booking_date: date | None = None
) -> PlanResult:
    """Read the syncs from the published snapshot and add what is new to the outbox; items
    still waiting that no sync proposes any more are superseded."""
    proposed = proposals(paths, settings, booking_date)
    snapshot = published_at(paths)
    with Outbox(paths) as outbox:
        plan_id, new, superseded = outbox.add_plan(
            user, snapshot, proposed, {sync.name for sync in SYNCS}
        )
        waiting = outbox.items(states=[State.PLANNED])
    return PlanResult(plan_id, len(proposed), new, superseded, waiting)
