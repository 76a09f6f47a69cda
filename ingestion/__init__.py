"""dlt pipelines that land each source system's raw data in warehouse.duckdb."""

import os

# dlt reports usage to its makers by default; this product runs offline and says nothing home.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
# Merges go through a staging dataset; empty it after each load instead of keeping a copy.
os.environ.setdefault("LOAD__TRUNCATE_STAGING_DATASET", "true")

# after the defaults above: importing it imports dlt
from ingestion import dlt_merge  # noqa: F401  # replacing loads without dlt's quadratic OR
