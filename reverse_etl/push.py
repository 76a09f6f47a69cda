"""``ledgerbridge push``: send the approved outbox items, exactly once.

One push at a time (a lock beside state.sqlite). A push first settles the items an earlier
push left SENDING (it was killed, or lost the connection after sending): it asks the target
whether it has each one, by the key token written into it, and sends again only those it
does not have. Then it drops approved items that the syncs no longer propose (the finding
was corrected some other way meanwhile), and sends the rest: SENDING is committed before
anything is sent. A refusal by the target ends an item FAILED_TERMINAL with the target's
message and the other items go on; a failure worth retrying ends it FAILED_RETRYABLE for
the next push.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ledgerbridge.config import Paths, Settings
from ledgerbridge.state import recorded_run
from ledgerbridge.warehouse import exclusive_lock
from reverse_etl.destinations import DestinationError, Outcome, make_destination
from reverse_etl.faults import crash_point
from reverse_etl.outbox import SENDABLE, Item, Outbox, State
from reverse_etl.syncs import SYNCS, proposals


@dataclass
class PushResult:
    run_id: int
    posted: list[Item] = field(default_factory=list)
    recovered: list[Item] = field(default_factory=list)  # found in the target after a crash
    failed: list[tuple[Item, str]] = field(default_factory=list)
    superseded: list[Item] = field(default_factory=list)
    #: items left SENDING: not known whether the target has them (looked up next time)
    uncertain: list[tuple[Item, str]] = field(default_factory=list)
    #: API requests made, and how many met a 429 (for the benchmark and the run's summary)
    requests: int = 0
    rate_limited: int = 0
    #: why nothing was sent, when nothing was (message, hint)
    nothing: tuple[str, str] | None = None


def push(paths: Paths, settings: Settings, user: str, *, plan_id: int | None = None) -> PushResult:
    with (
        exclusive_lock(
            paths,
            paths.home / "push.lock",
            "ledgerbridge push",
            busy="another push is running: {who}",
            hint="wait for it to finish; two pushes at once could send an item twice",
        ),
        recorded_run(paths, "push") as run,
        Outbox(paths) as outbox,
    ):
        result = PushResult(run.run_id)
        _settle_interrupted(paths, settings, outbox, user, result)
        _drop_unwanted(paths, settings, outbox, user, result)
        # master data first: an invoice or voucher may name an account, a party or a cost
        # centre that an item of the same push creates
        rank = {sync.name: position for position, sync in enumerate(SYNCS)}
        sendable = sorted(
            outbox.items(states=SENDABLE, plan_id=plan_id),
            key=lambda item: (rank.get(item.sync, len(rank)), item.item_id),
        )
        if not sendable and not result.recovered and not result.uncertain:
            result.nothing = _nothing_to_push(outbox, plan_id)
        by_target: dict[tuple[str, str], list[Item]] = defaultdict(list)
        for item in sendable:
            by_target[(item.destination, item.company_id)].append(item)
        for (name, company_id), items in by_target.items():
            company = settings.company(company_id)
            destination = make_destination(name, paths=paths, user=user)
            claimed = outbox.claim(items, user, run.run_id)
            crash_point("after_claim")
            settled: set[int] = set()
            try:
                for item, outcome in destination.send(company, claimed):
                    crash_point("after_send")
                    _record(outbox, item, outcome, user, result)
                    settled.add(item.item_id)
                    crash_point("mid_batch")
            except DestinationError as exc:
                to = State.FAILED_RETRYABLE if exc.retryable else State.FAILED_TERMINAL
                for item in claimed:
                    if item.item_id not in settled:
                        _record(outbox, item, Outcome(to, message=str(exc)), user, result)
            finally:
                stats = getattr(destination, "stats", None)
                if stats is not None:
                    result.requests += stats.requests
                    result.rate_limited += stats.rate_limited
        run.summary.update(
            posted=len(result.posted),
            recovered=len(result.recovered),
            failed=len(result.failed),
            uncertain=len(result.uncertain),
            superseded=len(result.superseded),
            requests=result.requests,
        )
        return result


def _record(outbox: Outbox, item: Item, outcome: Outcome, user: str, result: PushResult) -> None:
    if outcome.state == State.SENDING:  # not known whether the target has it
        outbox.note(item, user, result.run_id, outcome.message or "")
        result.uncertain.append((item, outcome.message or ""))
        return
    outbox.settle(
        item, outcome.state, user, result.run_id, target_id=outcome.target_id,
        message=outcome.message,
    )  # fmt: skip
    if outcome.state == State.POSTED:
        result.posted.append(outbox.item(item.item_id))
    else:
        result.failed.append((item, outcome.message or ""))


def _settle_interrupted(
    paths: Paths, settings: Settings, outbox: Outbox, user: str, result: PushResult
) -> None:
    """Items a push left SENDING: POSTED if the target has them, else APPROVED again."""
    interrupted = outbox.items(states=[State.SENDING])
    by_target: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for item in interrupted:
        by_target[(item.destination, item.company_id)].append(item)
    for (name, company_id), items in by_target.items():
        destination = make_destination(name, paths=paths, user=user)
        try:
            found = destination.lookup(settings.company(company_id), items)
        except DestinationError as exc:  # left SENDING: never sent again unknowingly
            for item in items:
                outbox.note(item, user, result.run_id, str(exc))
                result.uncertain.append((item, str(exc)))
            continue
        for item in items:
            if item.item_id in found:
                outbox.settle(
                    item, State.POSTED, user, result.run_id, target_id=found[item.item_id],
                    message="an interrupted push had written it", action="recovered",
                )  # fmt: skip
                result.recovered.append(item)
            else:
                outbox.settle(
                    item, State.APPROVED, user, result.run_id,
                    message="an interrupted push had not written it: sending again",
                    action="resend",
                )  # fmt: skip


def _drop_unwanted(
    paths: Paths, settings: Settings, outbox: Outbox, user: str, result: PushResult
) -> None:
    """Approved items the syncs no longer propose: sending them would correct twice. (Items
    put in the outbox by other means than the syncs, as the benchmark does, are sent as they
    are.)"""
    known = {sync.name for sync in SYNCS}
    waiting = [item for item in outbox.items(states=SENDABLE) if item.sync in known]
    if not waiting:
        return
    wanted = {item.key for item in proposals(paths, settings)}
    unwanted = [item for item in waiting if item.idempotency_key not in wanted]
    if unwanted:
        outbox.supersede(unwanted, user, "no longer proposed by the published data: not sent")
        result.superseded += unwanted


def _nothing_to_push(outbox: Outbox, plan_id: int | None) -> tuple[str, str]:
    items = outbox.items(plan_id=plan_id)
    counts: dict[State, int] = defaultdict(int)
    for item in items:
        counts[item.state] += 1
    which = f"plan {plan_id}" if plan_id is not None else "the outbox"
    if not items:
        return (f"nothing to push: {which} has no items", "run `ledgerbridge plan` first")
    if counts[State.PLANNED]:
        return (
            f"nothing to push: {which} has no approved items; {counts[State.PLANNED]} wait "
            "for approval",
            "approve them with `ledgerbridge approve` (vouchers always need a person's approval)",
        )
    done = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()) if n)
    return (
        f"nothing to push: {which} was pushed already ({done})",
        "`ledgerbridge runs` shows what each push did",
    )
