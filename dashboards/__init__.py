"""The Streamlit dashboards, reading the published snapshot (serving.duckdb) only."""
