"""Attestera: plan what the reverse ETL should write, look at each item before and after,
approve or reject it with a comment, and send what is approved. Every decision goes through
the reverse-ETL engine (the outbox), which records the signed-in user in its audit log."""

from __future__ import annotations

import streamlit as st

from dashboards import auth, filters, notices, outbox_view, tables
from ledgerbridge.config import Paths, load_settings
from ledgerbridge.errors import LedgerbridgeError
from ledgerbridge.users import Role
from reverse_etl.outbox import Outbox, State

user = auth.require(Role.approver)
st.title("Attestera")
sel = filters.selection()
paths = Paths.from_env()


def plan_now() -> None:
    from reverse_etl.plan import plan

    acting = auth.still_acting_for_every_company()
    if acting is None:
        return
    try:
        result = plan(paths, load_settings(paths), acting.name)
    except LedgerbridgeError as exc:
        notices.leave_error(exc)
        return
    notices.leave(
        f"Plan {result.plan_id}: {len(result.new)} nya poster, "
        f"{len(result.waiting)} väntar på attest, {len(result.superseded)} ersatta."
    )


def push_now() -> None:
    from reverse_etl.push import push

    acting = auth.still_acting_for_every_company()
    if acting is None:
        return
    try:
        result = push(paths, load_settings(paths), acting.name)
    except LedgerbridgeError as exc:
        notices.leave_error(exc)
        return
    if result.nothing:
        notices.leave(result.nothing[0])
        return
    failed = "; ".join(f"post {item.item_id}: {message}" for item, message in result.failed)
    notices.leave(
        f"Körning {result.run_id}: {len(result.posted)} skickade, {len(result.failed)} "
        f"misslyckade" + (f" ({failed})" if failed else "") + ". Se Körhistorik."
    )


if auth.acts_for_every_company(user):
    left, right, _ = st.columns([2, 2, 4])
    left.button(
        "Planera från publicerad data", on_click=plan_now, key="plan_now",
        icon=":material/refresh:",
    )  # fmt: skip
    right.button("Skicka attesterade nu", on_click=push_now, key="push_now", icon=":material/send:")
else:
    st.caption(
        "Planering och skickning gäller alla bolag: de görs av en attestant utan "
        "bolagsbegränsning, eller av ett schema."
    )
notices.show()

with Outbox(paths) as outbox:
    waiting = outbox.items(states=[State.PLANNED], company_id=sel.company_id)
    approved = outbox.items(
        states=[State.APPROVED, State.FAILED_RETRYABLE], company_id=sel.company_id
    )

st.subheader(f"Väntar på attest ({len(waiting)})")
if not waiting:
    st.success("Inget väntar på attest.")
else:
    listing = outbox_view.items_frame(waiting)
    tables.show(listing, f"attest-{sel.company_id}", key="waiting_items")
    labels = {item.item_id: f"{item.item_id} · {outbox_view.describe(item)}" for item in waiting}
    chosen_ids = st.multiselect(
        "Poster att besluta om",
        list(labels),
        format_func=labels.get,
        placeholder="Välj en eller flera poster",
        # a new key after each decision: the decided items are no longer options
        key=f"chosen_items:{sel.company_id}:{st.session_state.get('decisions', 0)}",
    )
    if not chosen_ids:
        st.caption("Välj poster för att se före/efter och attestera eller avslå dem.")
    else:
        chosen_items = [item for item in waiting if item.item_id in set(chosen_ids)]
        for item in chosen_items:
            with st.expander(f"Post {item.item_id}: {outbox_view.describe(item)}", expanded=True):
                if item.payload.get("finding"):
                    st.caption(f"Avvikelse: {item.payload['finding']}")
                tables.show(
                    outbox_view.before_after(item),
                    f"post-{item.item_id}",
                    key=f"before_after:{item.item_id}",
                )
        with st.form("decision", clear_on_submit=True):
            comment = st.text_input(
                "Kommentar (sparas i loggen)", max_chars=500, key="decision_comment"
            )
            approve_column, reject_column, _ = st.columns([1, 1, 4])
            approve = approve_column.form_submit_button("Attestera", type="primary")
            reject = reject_column.form_submit_button("Avslå")
        if (approve or reject) and auth.still(Role.approver) is not None:
            with Outbox(paths) as outbox:
                decided = outbox.decide(
                    chosen_items, user.name, approve=approve, comment=comment.strip() or None
                )
            verb = "attesterade" if approve else "avslagna"
            partners = len(decided) - len(chosen_items)
            together = f" (varav {partners} som hör ihop med de valda)" if partners else ""
            notices.leave(f"{len(decided)} poster {verb} av {user.name}{together}")
            st.session_state["decisions"] = st.session_state.get("decisions", 0) + 1
            st.rerun()

st.subheader(f"Attesterade, ej skickade ({len(approved)})")
if approved:
    tables.show(
        outbox_view.items_frame(approved), f"attesterade-{sel.company_id}", key="approved_items"
    )
else:
    st.caption("Inga.")
