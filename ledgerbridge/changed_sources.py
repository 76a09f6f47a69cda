"""Which raw tables changed since the last complete build, and the dbt selection that rebuilds
what reads them (decision 0028).

A model's result depends on its code and on the rows it reads. When the dbt project is the
one the last complete build ran and only some raw tables changed, only the nodes downstream
of those tables can give a different result: ``ledgerbridge build`` selects them
(``source:raw_sie.voucher_rows+ …``) and leaves the rest as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

#: where the record of the last complete build is kept, in dbt's target folder
BUILT_FROM_FILE = "built_from.json"


def raw_fingerprints(con: duckdb.DuckDBPyConnection, datasets: list[str]) -> dict[str, str]:
    """``dataset.table`` → its row count and the sum of its rows' hashes, for every table
    of the raw datasets (not dlt's own tables, not its staging datasets).

    Any row inserted, deleted or altered changes it, whoever wrote it: dlt, or the loader's
    deletes of a replaced file's rows. It reads every row but only hashes it: 0.4 s for ten
    million GL rows. A sum does not depend on row order, so no sort is needed.
    """
    if not datasets:
        return {}
    placeholders = ", ".join("?" for _ in datasets)
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        f"where schema_name in ({placeholders}) "
        "and table_name not like '\\_dlt%' escape '\\' order by 1, 2",
        datasets,
    ).fetchall()
    fingerprints = {}
    for schema, table in tables:
        rows, hashes = con.execute(
            f'select count(*), sum(hash(*columns(*))) from "{schema}"."{table}"'
        ).fetchone()
        fingerprints[f"{schema}.{table}"] = f"{rows}:{hashes or 0}"
    return fingerprints


@dataclass(frozen=True)
class BuiltFrom:
    """What the last complete build that passed read: the dbt project's fingerprint (code,
    vars, dbt's version) and each raw table's fingerprint."""

    project: str
    raw: dict[str, str]

    @classmethod
    def read(cls, target: Path) -> BuiltFrom | None:
        try:
            data = json.loads((target / BUILT_FROM_FILE).read_text(encoding="utf-8"))
            return cls(str(data["project"]), {str(k): str(v) for k, v in data["raw"].items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # none yet, or unreadable: the build is a complete one

    def write(self, target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        partial = target / (BUILT_FROM_FILE + ".partial")
        partial.write_text(json.dumps({"project": self.project, "raw": self.raw}, indent=1))
        partial.replace(target / BUILT_FROM_FILE)

    @staticmethod
    def forget(target: Path) -> None:
        """After dbt was run by hand, the models may no longer be what this record says."""
        (target / BUILT_FROM_FILE).unlink(missing_ok=True)


def changed_tables(before: dict[str, str], now: dict[str, str]) -> list[str]:
    """The raw tables added, removed or changed between two sets of fingerprints."""
    return sorted(name for name in before.keys() | now.keys() if before.get(name) != now.get(name))


def source_selectors(manifest_file: Path, tables: list[str]) -> list[str] | None:
    """dbt selectors for what reads ``tables`` (``source:<source>.<table>+``), from the manifest
    of the last build; a raw table no model reads selects nothing. None when the manifest cannot
    be read (the build must then be a complete one)."""
    try:
        sources = json.loads(manifest_file.read_text(encoding="utf-8"))["sources"].values()
        declared = {
            f"{source['schema']}.{source['identifier']}".lower(): (
                f"source:{source['source_name']}.{source['name']}+"
            )
            for source in sources
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return sorted({declared[name.lower()] for name in tables if name.lower() in declared})


def missing_models(manifest_file: Path, relations: set[tuple[str, str]]) -> list[str] | None:
    """The models of the last build's manifest that are not in the warehouse (``relations``:
    its (schema, table) pairs): a table dropped or a view removed since, which only a
    complete build makes again. None when the manifest cannot be read."""
    try:
        nodes = json.loads(manifest_file.read_text(encoding="utf-8"))["nodes"].values()
        models = [
            (str(node["schema"]).lower(), str(node["alias"] or node["name"]).lower(), node["name"])
            for node in nodes
            if node.get("resource_type") == "model"
            and node.get("config", {}).get("enabled", True)
            and node.get("config", {}).get("materialized") in ("table", "incremental", "view")
        ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    known = {(schema.lower(), table.lower()) for schema, table in relations}
    return sorted(name for schema, table, name in models if (schema, table) not in known)
