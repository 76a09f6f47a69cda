"""Prognos: revenue, costs and cash flow for the next 12 months with 80 % and 95 % intervals,
and how the chosen model did against a seasonal-naive baseline on the months held out.
Computed at each publish (fct_forecast_monthly, rpt_forecast_accuracy), not on page load."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import filters, queries, tables
from dashboards.charts import floats
from dashboards.formatting import kronor

st.title("Prognos")
sel = filters.selection()
if not queries.has_table("fct_forecast_monthly"):
    st.info(
        "Den publicerade datan har ingen prognos; nästa `ledgerbridge publish` räknar fram den."
    )
    st.stop()

series = (
    st.segmented_control(
        "Serie",
        list(queries.FORECAST_SERIES),
        format_func=queries.FORECAST_SERIES.get,
        default="revenue",
        key="forecast_series",
    )
    or "revenue"
)
rows = queries.forecast(sel.company_id, series)
if rows.empty:
    st.info("Ingen prognos för bolaget: för lite historik i huvudboken.")
    st.stop()
accuracy = queries.forecast_accuracy(sel.company_id, series)
chosen = accuracy[accuracy["is_chosen"]].iloc[0] if accuracy["is_chosen"].any() else None
baseline = accuracy[accuracy["is_baseline"]].iloc[0] if accuracy["is_baseline"].any() else None

ahead = rows[rows["period_kind"] == "forecast"]
first, second, third = st.columns(3)
first.metric("Prognos nästa 12 månader", kronor(queries.total(ahead, "forecast")))


def error_of(row) -> str:
    """A model's hold-out error; a history too short for a hold-out has none."""
    return "–" if row is None or pd.isna(row["mae"]) else kronor(row["mae"])


if chosen is not None:
    second.metric(
        "Modellens fel på testperioden (MAE)",
        error_of(chosen),
        help="Medelabsolutfel per månad på de sista månaderna, som modellen inte såg.",
    )
if baseline is not None:
    third.metric(
        "Säsongsnaiv jämförelse (MAE)",
        error_of(baseline),
        help="Samma månad förra året: prognosen ska slå den för att vara värd något.",
    )

history = rows[rows["period_kind"] != "forecast"]
labels = [f"{m:%Y-%m}" for m in ahead["period_start"]]
figure = go.Figure()
figure.add_scatter(
    x=labels + labels[::-1],
    y=floats(ahead["hi_95"]) + floats(ahead["lo_95"])[::-1],
    fill="toself", fillcolor="rgba(21,101,192,0.12)", line={"width": 0}, name="95 %",
    hoverinfo="skip",
)  # fmt: skip
figure.add_scatter(
    x=labels + labels[::-1],
    y=floats(ahead["hi_80"]) + floats(ahead["lo_80"])[::-1],
    fill="toself", fillcolor="rgba(21,101,192,0.25)", line={"width": 0}, name="80 %",
    hoverinfo="skip",
)  # fmt: skip
figure.add_scatter(
    x=[f"{m:%Y-%m}" for m in history["period_start"]],
    y=floats(history["actual"]),
    name="Utfall", mode="lines+markers", line_color="#263238",
)  # fmt: skip
figure.add_scatter(
    x=labels, y=floats(ahead["forecast"]), name="Prognos",
    mode="lines+markers", line={"color": "#1565c0", "dash": "dash"},
)  # fmt: skip
figure.update_layout(
    height=400, margin={"l": 10, "r": 10, "t": 30, "b": 10},
    legend={"orientation": "h", "y": 1.1}, yaxis_title="kr",
)  # fmt: skip
st.plotly_chart(figure, key="forecast_chart")

model = chosen["model"] if chosen is not None else ""
adjusted = (
    "Kassaflödet justeras för öppna kund- och leverantörsfakturor efter förfallodag."
    if series == "cash_flow"
    else ""
)
st.caption(f"Vald modell: {model}. {adjusted}")

st.subheader("Träffsäkerhet på testperioden")
if chosen is not None and pd.isna(chosen["holdout_start"]):
    st.markdown(f"För kort historik för en testperiod: {chosen['note'] or ''}")
elif chosen is not None:
    period = (
        f"Testperioden {chosen['holdout_start']:%Y-%m} – {chosen['holdout_end']:%Y-%m} "
        f"({chosen['holdout_months']} månader): "
    )
    if bool(chosen["is_baseline"]):
        verdict = (
            "den säsongsnaiva jämförelsen var bäst, så prognosen upprepar förra årets månader."
        )
    elif bool(chosen["beats_baseline"]):
        verdict = f"vald modell {chosen['model']} slår den säsongsnaiva jämförelsen."
    else:
        verdict = f"vald modell {chosen['model']} slår inte den säsongsnaiva jämförelsen."
    st.markdown(period + verdict)
tables.show(
    accuracy.rename(
        columns={
            "model": "Modell", "is_baseline": "Jämförelse", "is_chosen": "Vald",
            "beats_baseline": "Slår jämförelsen", "holdout_start": "Test från",
            "holdout_end": "Test till", "holdout_months": "Testmånader",
            "train_months": "Träningsmånader", "mae": "MAE", "smape": "sMAPE %",
            "mase": "MASE", "mae_without_open_items": "MAE utan öppna poster",
            "note": "Not",
        }
    ),
    f"prognos-traffsakerhet-{sel.company_id}-{series}",
    key="forecast_accuracy",
)  # fmt: skip
holdout = queries.forecast_holdout(sel.company_id, series)
if not holdout.empty:
    wide = holdout.pivot_table(
        index="period_start", columns="model", values="forecast", aggfunc="first"
    )
    actual = holdout.groupby("period_start")["actual"].first()
    wide.insert(0, "Utfall", actual)
    wide.index = [f"{m:%Y-%m}" for m in wide.index]
    tables.show(
        wide.reset_index(names="Månad"),
        f"prognos-test-{sel.company_id}-{series}",
        key="forecast_holdout",
    )

with st.expander("Prognos per månad"):
    tables.show(
        ahead[["period_start", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]].rename(
            columns={
                "period_start": "Månad", "forecast": "Prognos", "lo_80": "Låg 80 %",
                "hi_80": "Hög 80 %", "lo_95": "Låg 95 %", "hi_95": "Hög 95 %",
            }
        ),
        f"prognos-{sel.company_id}-{series}",
        key="forecast_table",
    )  # fmt: skip
