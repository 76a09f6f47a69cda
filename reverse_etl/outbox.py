"""The outbox in ``state.sqlite``: plans, their items and the states an item goes through,
approvals, push attempts and the append-only audit log (decision 0029).

An item is one thing to write to a target: a voucher to post, a record to create or update.
Its idempotency key (company, source document, version) is deterministic: planning the same
change again finds the item that is already there instead of adding a second one. The states:

    PLANNED → APPROVED → SENDING → POSTED | FAILED_RETRYABLE | FAILED_TERMINAL
    PLANNED → REJECTED (a person said no)      PLANNED | APPROVED → SUPERSEDED (no longer wanted)
    SENDING → APPROVED (interrupted, and the target does not have it: send again)
    FAILED_RETRYABLE → SENDING (the next push)

SENDING is committed before anything is sent, so a crash leaves the item SENDING and the next
push asks the target whether it has it before sending again.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from ledgerbridge.config import Paths
from ledgerbridge.errors import LedgerbridgeError
from ledgerbridge.state import connect as connect_state


class State(StrEnum):
    PLANNED = "PLANNED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SUPERSEDED = "SUPERSEDED"
    SENDING = "SENDING"
    POSTED = "POSTED"
    FAILED_RETRYABLE = "FAILED_RETRYABLE"
    FAILED_TERMINAL = "FAILED_TERMINAL"


TRANSITIONS: dict[State, frozenset[State]] = {
    State.PLANNED: frozenset({State.APPROVED, State.REJECTED, State.SUPERSEDED}),
    State.APPROVED: frozenset({State.SENDING, State.SUPERSEDED}),
    State.SENDING: frozenset(
        {State.POSTED, State.FAILED_RETRYABLE, State.FAILED_TERMINAL, State.APPROVED}
    ),
    State.FAILED_RETRYABLE: frozenset({State.SENDING, State.SUPERSEDED}),
    State.REJECTED: frozenset(),
    State.SUPERSEDED: frozenset(),
    State.POSTED: frozenset(),
    State.FAILED_TERMINAL: frozenset(),
}

#: states an item can still be sent from, by a push
SENDABLE = (State.APPROVED, State.FAILED_RETRYABLE)
#: states in which an item is still wanted or done: planning the same key again adds nothing
HELD = (
    State.PLANNED,
    State.APPROVED,
    State.SENDING,
    State.POSTED,
    State.FAILED_RETRYABLE,
    State.FAILED_TERMINAL,
    State.REJECTED,
)

_SCHEMA = """
create table if not exists retl_plans (
    plan_id integer primary key autoincrement,
    created_at text not null,
    created_by text not null,
    snapshot text,                  -- when the serving.duckdb it read was published
    summary text not null default '{}'
);
create table if not exists retl_items (
    item_id integer primary key autoincrement,
    plan_id integer not null references retl_plans (plan_id),
    idempotency_key text not null,
    company_id text not null,
    sync text not null,             -- the sync model the item comes from
    operation text not null,        -- create_voucher | create | update
    destination text not null,      -- sie4i | fortnox | tryton
    source_document text not null,  -- what the item writes for (a voucher it corrects, …)
    finding_id text,
    payload text not null,          -- JSON: what is sent
    payload_hash text not null,
    before text not null default '{}',  -- JSON: the target's values now (the preview)
    after text not null default '{}',   -- JSON: its values once written
    state text not null,
    needs_approval integer not null,
    approved_by text,
    approved_at text,
    decision_comment text,
    attempts integer not null default 0,
    last_error text,
    target_id text,                 -- where the target keeps it (a file, a voucher number)
    created_at text not null,
    updated_at text not null
);
create index if not exists retl_items_state on retl_items (state, company_id);
-- one live item per key; a superseded one was never sent, and the same change may be
-- planned again later under the same key
create unique index if not exists retl_items_key on retl_items (idempotency_key)
    where state <> 'SUPERSEDED';
create table if not exists retl_attempts (
    attempt_id integer primary key autoincrement,
    run_id integer,                 -- runs.run_id of the push
    item_id integer not null references retl_items (item_id),
    at text not null,
    outcome text not null,          -- the state the attempt left the item in
    message text
);
create table if not exists retl_audit (
    audit_id integer primary key autoincrement,
    at text not null,
    user_name text not null,
    action text not null,           -- plan | approve | reject | supersede | send | posted | …
    plan_id integer,
    item_id integer,
    company_id text,
    payload_hash text,
    target_id text,
    details text not null default ''
);
create trigger if not exists retl_audit_append_only_update before update on retl_audit
begin
    select raise(abort, 'the audit log is append-only: its rows cannot be changed');
end;
create trigger if not exists retl_audit_append_only_delete before delete on retl_audit
begin
    select raise(abort, 'the audit log is append-only: its rows cannot be deleted');
end;
"""


#: who approved an item that its sync's configuration approves
AUTOMATIC = "configuration"


class OutboxError(LedgerbridgeError):
    code = "outbox"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(value: object) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def idempotency_key(company_id: str, source_document: str, version: str) -> str:
    """The item's key: the same company, source document and version always give the same
    key, so the same change is never planned (and so never sent) twice."""
    return f"{company_id}|{source_document}|{version}"


def key_token(key: str) -> str:
    """A short mark of an idempotency key, written into what is sent (a voucher's text) so
    the target can be searched for it after an interrupted send."""
    return "lb:" + hashlib.sha256(key.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Item:
    item_id: int
    plan_id: int
    idempotency_key: str
    company_id: str
    sync: str
    operation: str
    destination: str
    source_document: str
    finding_id: str | None
    payload: dict
    payload_hash: str
    before: dict
    after: dict
    state: State
    needs_approval: bool
    approved_by: str | None
    approved_at: str | None
    decision_comment: str | None
    attempts: int
    last_error: str | None
    target_id: str | None
    updated_at: str  # when it last changed state (UTC): for a POSTED item, when it was sent

    @property
    def token(self) -> str:
        return key_token(self.idempotency_key)


@dataclass(frozen=True)
class NewItem:
    """An item as a sync proposes it, before it is in the outbox."""

    company_id: str
    sync: str
    operation: str
    destination: str
    source_document: str
    finding_id: str | None
    payload: dict
    #: what identifies the change, without what is chosen when planning (a voucher's date)
    version_of: dict
    needs_approval: bool
    before: dict
    after: dict

    @property
    def key(self) -> str:
        version = content_hash(self.version_of)[:16]
        return idempotency_key(self.company_id, self.source_document, version)


_ITEM_COLUMNS = (
    "item_id, plan_id, idempotency_key, company_id, sync, operation, destination, "
    "source_document, finding_id, payload, payload_hash, before, after, state, needs_approval, "
    "approved_by, approved_at, decision_comment, attempts, last_error, target_id, updated_at"
)


def _item(row: tuple) -> Item:
    values = list(row)
    for index in (9, 11, 12):
        values[index] = json.loads(values[index])
    values[13] = State(values[13])
    values[14] = bool(values[14])
    return Item(*values)


def _items_of_plan(con: sqlite3.Connection, plan_id: int) -> list[Item]:
    return [
        _item(row)
        for row in con.execute(
            f"select {_ITEM_COLUMNS} from retl_items where plan_id = ? order by item_id",
            [plan_id],
        )
    ]


class Outbox:
    """The outbox of one home, on its own SQLite connection."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.con = connect_state(paths)
        self.con.executescript(_SCHEMA)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed on leaving (immediate: it takes the write lock
        at once, so two pushes cannot both claim an item)."""
        self.con.execute("begin immediate")
        try:
            yield self.con
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    # -- reading ---------------------------------------------------------------------------

    def items(
        self,
        *,
        states: Iterable[State] | None = None,
        plan_id: int | None = None,
        company_id: str | None = None,
        item_ids: Iterable[int] | None = None,
    ) -> list[Item]:
        where, params = [], []
        if states is not None:
            listed = list(states)
            where.append(f"state in ({', '.join('?' for _ in listed)})")
            params += [str(s) for s in listed]
        if plan_id is not None:
            where.append("plan_id = ?")
            params.append(plan_id)
        if company_id is not None:
            where.append("company_id = ?")
            params.append(company_id)
        if item_ids is not None:
            ids = list(item_ids)
            where.append(f"item_id in ({', '.join('?' for _ in ids)})")
            params += ids
        sql = f"select {_ITEM_COLUMNS} from retl_items"
        if where:
            sql += " where " + " and ".join(where)
        return [_item(row) for row in self.con.execute(sql + " order by item_id", params)]

    def item(self, item_id: int) -> Item:
        found = self.items(item_ids=[item_id])
        if not found:
            raise OutboxError(f"no outbox item {item_id}", hint="`ledgerbridge plan` lists them")
        return found[0]

    def latest_plan(self) -> int | None:
        row = self.con.execute("select max(plan_id) from retl_plans").fetchone()
        return row[0]

    def audit(self, *, item_id: int | None = None) -> list[tuple]:
        sql = (
            "select audit_id, at, user_name, action, plan_id, item_id, company_id, "
            "payload_hash, target_id, details from retl_audit"
        )
        params: list = []
        if item_id is not None:
            sql += " where item_id = ?"
            params.append(item_id)
        return self.con.execute(sql + " order by audit_id", params).fetchall()

    def attempts(self, run_id: int) -> list[tuple]:
        return self.con.execute(
            "select a.item_id, i.company_id, i.source_document, a.outcome, a.message "
            "from retl_attempts a join retl_items i using (item_id) where a.run_id = ? "
            "order by a.attempt_id",
            [run_id],
        ).fetchall()

    # -- writing ---------------------------------------------------------------------------

    def log(
        self,
        con: sqlite3.Connection,
        user: str,
        action: str,
        *,
        plan_id: int | None = None,
        item: Item | None = None,
        target_id: str | None = None,
        details: str = "",
    ) -> None:
        con.execute(
            "insert into retl_audit (at, user_name, action, plan_id, item_id, company_id, "
            "payload_hash, target_id, details) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                now(),
                user,
                action,
                plan_id if plan_id is not None else (item.plan_id if item else None),
                item.item_id if item else None,
                item.company_id if item else None,
                item.payload_hash if item else None,
                target_id,
                details,
            ],
        )

    def add_plan(
        self, user: str, snapshot: str | None, proposed: list[NewItem], wanted_syncs: set[str]
    ) -> tuple[int, list[Item], list[Item]]:
        """Record a plan: the proposed items whose key is new (the others are already in the
        outbox), and supersede the items of ``wanted_syncs`` still waiting (PLANNED, APPROVED,
        FAILED_RETRYABLE) that the syncs no longer propose. Returns the plan, its new items
        and those superseded."""
        stamp = now()
        keys = {item.key for item in proposed}
        with self.transaction() as con:
            cursor = con.execute(
                "insert into retl_plans (created_at, created_by, snapshot) values (?, ?, ?)",
                [stamp, user, snapshot],
            )
            plan_id = int(cursor.lastrowid)
            held = {
                key
                for (key,) in con.execute(
                    "select idempotency_key from retl_items where state in "
                    f"({', '.join('?' for _ in HELD)})",
                    [str(s) for s in HELD],
                )
            }
            for new in proposed:
                if new.key in held:
                    continue
                held.add(new.key)
                con.execute(
                    "insert into retl_items (plan_id, idempotency_key, company_id, sync, "
                    "operation, destination, source_document, finding_id, payload, "
                    "payload_hash, before, after, state, needs_approval, created_at, updated_at) "
                    "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        plan_id,
                        new.key,
                        new.company_id,
                        new.sync,
                        new.operation,
                        new.destination,
                        new.source_document,
                        new.finding_id,
                        canonical_json(new.payload),
                        content_hash(new.payload),
                        canonical_json(new.before),
                        canonical_json(new.after),
                        str(State.PLANNED),
                        int(new.needs_approval),
                        stamp,
                        stamp,
                    ],
                )
            added = _items_of_plan(con, plan_id)
            waiting = [
                _item(row)
                for row in con.execute(
                    f"select {_ITEM_COLUMNS} from retl_items where state in (?, ?, ?)",
                    [str(State.PLANNED), str(State.APPROVED), str(State.FAILED_RETRYABLE)],
                )
            ]
            superseded = [
                item
                for item in waiting
                if item.sync in wanted_syncs and item.idempotency_key not in keys
            ]
            for item in superseded:
                self._move(con, item, State.SUPERSEDED)
                self.log(
                    con,
                    user,
                    "supersede",
                    plan_id=plan_id,
                    item=item,
                    details="no longer proposed by its sync (the finding or change is gone)",
                )
            for item in added:
                self.log(con, user, "plan", item=item, details=item.source_document)
                if not item.needs_approval:
                    self._move(
                        con, item, State.APPROVED, approved_by=AUTOMATIC, approved_at=stamp,
                        decision_comment="[reverse_etl] approve_automatically",
                    )  # fmt: skip
                    self.log(
                        con, user, "approve", item=item,
                        details="approved by the configuration ([reverse_etl] "
                        "approve_automatically)",
                    )  # fmt: skip
            added = _items_of_plan(con, plan_id)  # as the configuration left them
            con.execute(
                "update retl_plans set summary = ? where plan_id = ?",
                [
                    json.dumps(
                        {
                            "proposed": len(proposed),
                            "new": len(added),
                            "superseded": len(superseded),
                        }
                    ),
                    plan_id,
                ],
            )
        return plan_id, added, superseded

    def _move(
        self,
        con: sqlite3.Connection,
        item: Item,
        to: State,
        **columns: object,
    ) -> None:
        """Move one item to another state, if the state machine allows it from the state it
        is in now (read again inside the transaction)."""
        (current,) = con.execute(
            "select state from retl_items where item_id = ?", [item.item_id]
        ).fetchone()
        current = State(current)
        if to not in TRANSITIONS[current]:
            raise OutboxError(
                f"outbox item {item.item_id} ({item.source_document}) is {current}; "
                f"it cannot become {to}"
            )
        sets = ", ".join(f"{name} = ?" for name in columns)
        con.execute(
            f"update retl_items set state = ?, updated_at = ?{', ' + sets if sets else ''} "
            "where item_id = ?",
            [str(to), now(), *columns.values(), item.item_id],
        )

    def decide(
        self, items: list[Item], user: str, *, approve: bool, comment: str | None = None
    ) -> list[Item]:
        """Approve or reject PLANNED items, recording who, when and why. The items that
        mend one finding together (a reversal and its rebooking) are decided together: one
        of them alone would leave the books worse than before."""
        to = State.APPROVED if approve else State.REJECTED
        items = self._with_partners(items)
        with self.transaction() as con:
            for item in items:
                self._move(
                    con, item, to, approved_by=user, approved_at=now(), decision_comment=comment
                )
                self.log(
                    con, user, "approve" if approve else "reject", item=item,
                    details=comment or "",
                )  # fmt: skip
        return self.items(item_ids=[item.item_id for item in items])

    def _with_partners(self, items: list[Item]) -> list[Item]:
        chosen = {item.item_id: item for item in items}
        for item in items:
            if item.finding_id is None:
                continue
            for other in self.con.execute(
                f"select {_ITEM_COLUMNS} from retl_items "
                "where finding_id = ? and sync = ? and state = ? order by item_id",
                [item.finding_id, item.sync, str(State.PLANNED)],
            ):
                chosen.setdefault(other[0], _item(other))
        return sorted(chosen.values(), key=lambda item: item.item_id)

    def claim(self, items: list[Item], user: str, run_id: int | None) -> list[Item]:
        """Mark items SENDING and commit, before anything is sent."""
        with self.transaction() as con:
            for item in items:
                self._move(con, item, State.SENDING, attempts=item.attempts + 1)
                self.log(con, user, "send", item=item, details=f"push run {run_id}")
        return self.items(item_ids=[item.item_id for item in items])

    def settle(
        self,
        item: Item,
        to: State,
        user: str,
        run_id: int | None,
        *,
        target_id: str | None = None,
        message: str | None = None,
        action: str | None = None,
    ) -> None:
        """Record the outcome of sending (or of looking an interrupted send up)."""
        with self.transaction() as con:
            columns: dict[str, object] = {"last_error": message if to != State.POSTED else None}
            if target_id is not None:
                columns["target_id"] = target_id
            if to == State.APPROVED:
                columns["attempts"] = max(item.attempts - 1, 0)
            self._move(con, item, to, **columns)
            con.execute(
                "insert into retl_attempts (run_id, item_id, at, outcome, message) "
                "values (?, ?, ?, ?, ?)",
                [run_id, item.item_id, now(), str(to), message],
            )
            self.log(
                con,
                user,
                action or to.lower(),
                item=item,
                target_id=target_id,
                details=message or "",
            )

    def note(self, item: Item, user: str, run_id: int | None, message: str) -> None:
        """Record an attempt that left the item as it was (SENDING, not known whether the
        target has it): the next push looks it up first."""
        with self.transaction() as con:
            con.execute(
                "update retl_items set last_error = ?, updated_at = ? where item_id = ?",
                [message, now(), item.item_id],
            )
            con.execute(
                "insert into retl_attempts (run_id, item_id, at, outcome, message) "
                "values (?, ?, ?, ?, ?)",
                [run_id, item.item_id, now(), str(State.SENDING), message],
            )
            self.log(con, user, "uncertain", item=item, details=message)

    def supersede(self, items: list[Item], user: str, reason: str) -> None:
        with self.transaction() as con:
            for item in items:
                self._move(con, item, State.SUPERSEDED)
                self.log(con, user, "supersede", item=item, details=reason)
