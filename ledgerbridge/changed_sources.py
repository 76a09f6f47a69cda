"""Which raw tables changed since the last complete build, and the dbt selection that rebuilds
what reads them (decision 0028).

A model's result depends on its code and on the rows it reads. When the dbt project is the
one the last complete build ran and only some raw tables changed, only the nodes downstream
of those tables can give a different result: ``ledgerbridge build`` selects them
(``source:raw_sie.voucher_rows+ …``) and leaves the rest as they are.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

#: where the record of the last complete build is kept, in dbt's target folder
BUILT_FROM_FILE = "built_from.json"


#: The raw tables a voucher and its rows are read from, and the columns that say which part
#: of the books (a company's fiscal year) a row belongs to. An SIE voucher's key holds its
#: company and fiscal year as the file states them. A Fortnox voucher names a year id, which
#: its financial years turn into a fiscal year, so a change to any of these tables counts for
#: every year of the company.
LEDGER_PARTITIONS: dict[str, tuple[str, ...]] = {
    "raw_sie.files": ("company_id", "fiscal_year_start"),
    "raw_sie.vouchers": ("company_id", "fiscal_year_start"),
    "raw_sie.voucher_rows": ("company_id", "fiscal_year_start"),
    "raw_fortnox.financial_years": ("company_id",),
    "raw_fortnox.vouchers": ("company_id",),
    "raw_fortnox.voucher_rows": ("company_id",),
}

#: Raw tables whose companies, not their rows, matter to the ledger: an SIE company is one
#: whose files state its fiscal years (int_ledger__companies). Their rows change with every
#: export (each restates the year before its own, naming the new file); only a company
#: appearing or going changes all of its years.
LEDGER_COMPANIES = ("raw_sie.fiscal_years",)

#: a part of the books: a company and the start of one of its fiscal years, or None for all
Partition = tuple[str, "str | None"]


#: More changed parts than this are read and tested whole: past it, the condition naming
#: each part costs more than it saves (and an environment variable has a size limit).
MAX_CHANGED_PARTITIONS = 200

#: the models kept per part of the books (decision 0035): what they read must be listed above
LEDGER_LAYER = ("int_ledger__voucher_rows", "int_ledger__vouchers")


@dataclass(frozen=True)
class Fingerprints:
    #: ``dataset.table`` → its row count and the sum of its rows' hashes
    tables: dict[str, str]
    #: the same per part of the books, for the ledger's raw tables: a JSON key
    #: ``[table, company, fiscal year start or null]`` → its fingerprint
    partitions: dict[str, str]
    #: ledger tables that lack the columns naming a part (fingerprinted whole only)
    unpartitioned: set[str] = field(default_factory=set)


def raw_fingerprints(con: duckdb.DuckDBPyConnection, datasets: list[str]) -> Fingerprints:
    """Every table of the raw datasets (not dlt's own tables, not its staging datasets):
    its row count and the sum of a 64-bit hash of each row, whole and, for the ledger's
    tables, per company and fiscal year.

    Any row inserted, deleted or altered changes it, whoever wrote it: dlt, or the loader's
    deletes of a replaced file's rows. It reads every row but only hashes it: 0.4 s for ten
    million GL rows. A sum does not depend on row order, so no sort is needed; the table's
    is the sum of its partitions', so a table is read once.
    """
    if not datasets:
        return Fingerprints({}, {})
    placeholders = ", ".join("?" for _ in datasets)
    tables: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        f"where schema_name in ({placeholders}) "
        "and table_name not like '\\_dlt%' escape '\\' "
        "and (schema_name, table_name) in (select schema_name, table_name from duckdb_tables()) "
        "order by 1, 2",
        datasets,
    ).fetchall():
        tables.setdefault((schema, table), set()).add(column)
    fingerprints = Fingerprints({}, {})
    for (schema, table), columns in tables.items():
        name = f"{schema}.{table}"
        keys = [key for key in LEDGER_PARTITIONS.get(name, ()) if key in columns]
        if name in LEDGER_PARTITIONS and len(keys) < len(LEDGER_PARTITIONS[name]):
            fingerprints.unpartitioned.add(name)
            keys = []
        key_list = ", ".join(f'cast("{key}" as varchar)' for key in keys)
        parts = con.execute(
            f"select {key_list + ', ' if keys else ''}count(*), sum(hash(*columns(*))) "
            f'from "{schema}"."{table}"' + (" group by all" if keys else "")
        ).fetchall()
        total_rows = total_hashes = 0
        for *key, rows, hashes in parts:
            total_rows += rows
            total_hashes += hashes or 0
            if keys:
                company, year = key[0], (key[1] if len(key) > 1 else None)
                partition = json.dumps([name, company, year])
                fingerprints.partitions[partition] = f"{rows}:{hashes or 0}"
        fingerprints.tables[name] = f"{total_rows}:{total_hashes}"
        if name in LEDGER_COMPANIES and "company_id" in columns:
            for (company,) in con.execute(
                f'select distinct company_id from "{schema}"."{table}"'
            ).fetchall():
                fingerprints.partitions[json.dumps([name, company, None])] = "present"
    return fingerprints


def changed_partitions(before: dict[str, str], now: dict[str, str]) -> list[Partition] | None:
    """The parts of the books (company, fiscal year start or None for every year) whose raw
    ledger rows were added, removed or changed between two sets of partition fingerprints;
    None when they cannot be named (a changed row without a company, a record that is not
    ours, more than MAX_CHANGED_PARTITIONS parts): everything is then read and tested."""
    changed: set[Partition] = set()
    for key in before.keys() | now.keys():
        if before.get(key) != now.get(key):
            try:
                _table, company, year = json.loads(key)
            except (ValueError, TypeError):
                return None
            if company is None:
                return None
            changed.add((str(company), None if year is None else str(year)))
    if len(changed) > MAX_CHANGED_PARTITIONS:
        return None
    # a change to every year of a company covers its single years
    every_year = {company for company, year in changed if year is None}
    return sorted(
        (p for p in changed if p[1] is None or p[0] not in every_year),
        key=lambda p: (p[0], p[1] or ""),
    )


@dataclass(frozen=True)
class BuiltFrom:
    """What the last complete build that passed read: the dbt project's fingerprint (code,
    vars, dbt's version), each raw table's fingerprint and, for the ledger's raw tables, the
    fingerprint of each company's fiscal year (None in a record written before they were
    kept)."""

    project: str
    raw: dict[str, str]
    partitions: dict[str, str] | None = None

    @classmethod
    def read(cls, target: Path) -> BuiltFrom | None:
        try:
            data = json.loads((target / BUILT_FROM_FILE).read_text(encoding="utf-8"))
            partitions = data.get("partitions")
            return cls(
                str(data["project"]),
                {str(k): str(v) for k, v in data["raw"].items()},
                None if partitions is None else {str(k): str(v) for k, v in partitions.items()},
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # none yet, or unreadable: the build is a complete one

    def write(self, target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        partial = target / (BUILT_FROM_FILE + ".partial")
        record = {"project": self.project, "raw": self.raw, "partitions": self.partitions}
        partial.write_text(json.dumps(record, indent=1))
        partial.replace(target / BUILT_FROM_FILE)

    @staticmethod
    def forget(target: Path) -> None:
        """After dbt was run by hand, the models may no longer be what this record says."""
        (target / BUILT_FROM_FILE).unlink(missing_ok=True)


def changed_tables(before: dict[str, str], now: dict[str, str]) -> list[str]:
    """The raw tables added, removed or changed between two sets of fingerprints."""
    return sorted(name for name in before.keys() | now.keys() if before.get(name) != now.get(name))


def _read_manifest(manifest_file: Path) -> dict:
    """dbt's manifest of the last build (several MB of JSON), read once per version of the
    file however many questions a build asks of it."""
    stat = manifest_file.stat()
    return _parsed_manifest(str(manifest_file), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=2)
def _parsed_manifest(path: str, _mtime_ns: int, _size: int) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source_selectors(manifest_file: Path, tables: list[str]) -> list[str] | None:
    """dbt selectors for what reads ``tables`` (``source:<source>.<table>+``), from the manifest
    of the last build; a raw table no model reads selects nothing. None when the manifest cannot
    be read (the build must then be a complete one)."""
    try:
        sources = _read_manifest(manifest_file)["sources"].values()
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
        nodes = _read_manifest(manifest_file)["nodes"].values()
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


def ledger_source_tables(manifest_file: Path) -> set[str] | None:
    """The raw tables (``dataset.table``) the ledger layer reads, directly or through other
    models, from the manifest of the last build; None when it cannot be read. A build after
    new data keeps the ledger layer per part of the books only while each of these tables is
    one whose parts are fingerprinted (LEDGER_PARTITIONS, LEDGER_COMPANIES)."""
    try:
        manifest = _read_manifest(manifest_file)
        parents: dict[str, list[str]] = manifest["parent_map"]
        sources = manifest["sources"]
        seen: set[str] = set()
        todo = [f"model.ledgerbridge.{name}" for name in LEDGER_LAYER]
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(parents.get(node, []))
        return {
            f"{sources[node]['schema']}.{sources[node]['identifier']}".lower()
            for node in seen
            if node in sources
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
