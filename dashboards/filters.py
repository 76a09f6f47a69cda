"""The filters every page shares: company, fiscal year and period (chosen once, in the app's
sidebar, and kept across pages), and the cost centre, project and warehouse filters a page
asks for. A filter's values reach SQL only as bound parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from dashboards import auth, queries
from dashboards.queries import NO_VALUE, FiscalYear, Period

SELECTION_KEY = "ledgerbridge_selection"


@dataclass(frozen=True)
class Selection:
    company_id: str
    company_name: str
    year: FiscalYear
    #: the period reports stop at (balances at its end, the year to date up to it)
    period: Period
    periods: tuple[Period, ...]
    previous_year: FiscalYear | None

    @property
    def periods_to_date(self) -> tuple[Period, ...]:
        return tuple(p for p in self.periods if p.start <= self.period.start)


def choose_company_and_period() -> Selection | None:
    """The sidebar's company, year and period selectors; None when the user may see no
    company of the snapshot (the page says so)."""
    user = auth.current_user()
    known = queries.companies()
    visible = [c for c in known if user is not None and user.sees(c.company_id)]
    if not visible:
        return None
    names = {c.company_id: c.name for c in visible}
    with st.sidebar:
        company_id = st.selectbox(
            "Bolag",
            list(names),
            format_func=lambda c: c if names[c] == c else f"{names[c]} ({c})",
            key="company",
        )
        years = queries.fiscal_years(company_id)
        if not years:
            return None
        labels = {y.label: y for y in years}
        year = labels[st.selectbox("Räkenskapsår", list(labels), key=f"fiscal_year:{company_id}")]
        periods = queries.periods(company_id, year.start)
        last = queries.last_booked_period(company_id, year.start)
        by_label = {p.label: p for p in periods}
        default = next((i for i, p in enumerate(periods) if p.start == last), len(periods) - 1)
        period = by_label[
            st.selectbox(
                "Period",
                list(by_label),
                index=default,
                key=f"period:{company_id}:{year.start}",
                help="Balanser vid periodens slut; året till och med perioden.",
            )
        ]
    previous = next((y for y in years if y.end < year.start), None)
    selection = Selection(company_id, names[company_id], year, period, tuple(periods), previous)
    st.session_state[SELECTION_KEY] = selection
    return selection


def selection() -> Selection:
    """The selection the app's sidebar made for this run."""
    chosen = st.session_state.get(SELECTION_KEY)
    if chosen is None:
        st.info("Välj bolag i sidomenyn.")
        st.stop()
    return chosen


_LABELS = {
    "cost_centre_code": ("Resultatenhet", "cost_centres"),
    "project_code": ("Projekt", "projects"),
    "warehouse_code": ("Lager", "warehouses"),
}


@dataclass(frozen=True)
class Dimensions:
    """Chosen cost centres, projects and warehouses; an empty tuple means all of them."""

    cost_centres: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    warehouses: tuple[str, ...] = ()

    def where(self, *, prefix: str = "") -> tuple[str, list]:
        """A SQL condition (fixed text) and its parameters; rows without a value match
        the choice ``(ingen)``."""
        clauses, params = [], []
        for column, (_, attribute) in _LABELS.items():
            chosen = getattr(self, attribute)
            if chosen:
                clauses.append(f"list_contains(?, coalesce({prefix}{column}, ?))")
                params += [list(chosen), NO_VALUE]
        return (" and ".join(clauses) or "true"), params


def dimensions(
    company_id: str, *, cost_centre: bool = False, project: bool = False, warehouse: bool = False
) -> Dimensions:
    """Multiselects in the sidebar for the dimensions a page filters by; empty means all."""
    chosen: dict[str, tuple[str, ...]] = {}
    for column, wanted in (
        ("cost_centre_code", cost_centre),
        ("project_code", project),
        ("warehouse_code", warehouse),
    ):
        if not wanted:
            continue
        label, attribute = _LABELS[column]
        values = queries.dimension_values(company_id, column)
        names = dict(zip(values["code"], values["name"], strict=True))
        names[NO_VALUE] = NO_VALUE
        with st.sidebar:
            picked = st.multiselect(
                label,
                list(names),
                format_func=lambda code, names=names: (
                    code if names[code] == code else f"{code} {names[code]}"
                ),
                placeholder="Alla",
                key=f"{attribute}:{company_id}",
            )
        chosen[attribute] = tuple(picked)
    return Dimensions(**chosen)


def month_range(start: date, end: date) -> str:
    return (
        f"{start:%Y-%m}"
        if (start.year, start.month) == (end.year, end.month)
        else (f"{start:%Y-%m} – {end:%Y-%m}")
    )
