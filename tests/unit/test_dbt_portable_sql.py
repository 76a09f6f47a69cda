"""The dbt models are written once for DuckDB and PostgreSQL: DuckDB-only syntax in a model is
caught here in a second, with the portable spelling to use, before the PostgreSQL build
(tests/integration/test_postgres_build.py) fails on it minutes later."""

from __future__ import annotations

import re
from pathlib import Path

from ledgerbridge.config import DBT_PROJECT_DIR

#: DuckDB-only syntax → what to write instead (macros in dbt_project/macros/cross_database)
DUCKDB_ONLY = {
    r"::": "cast(x as type)",
    r"\bgroup\s+by\s+all\b": "the group by columns, by name",
    r"\bqualify\b": "a window in a CTE and a where on it",
    r"\bexclude\s*\(": "the columns, by name",
    r"\barg_(?:max|min)\s*\(": "{{ arg_max(value, ordering, where=...) }}",
    r"\b(?:max|min)_by\s*\(": "{{ arg_max(value, ordering) }} / {{ arg_min(...) }}",
    r"\bfirst\s*\(": "{{ first_by(value, order_by, where=...) }}",
    r"\bregexp_matches\s*\(": "{{ regexp_like(string, pattern) }}",
    r"\bregexp_extract\s*\(": "{{ regexp_extract(string, pattern, group) }}",
    r"\bstr[fp]time\s*\(": "dbt.date_trunc / extract / cast",
    r"\blist_\w+\s*\(": "a macro with a duckdb__ and a postgres implementation",
    r"\b(?:try_cast)\s*\(": "{{ dbt.safe_cast(...) }}",
    r"\bdate_diff\s*\(": "{{ dbt.datediff(...) }}",
    r"\bcount_if\s*\(": "count(*) filter (where ...)",
    r"\bifnull\s*\(": "coalesce(...)",
}

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_COMMENT = re.compile(r"--[^\n]*")
_STRING = re.compile(r"'(?:[^']|'')*'")


def _sql_text(path: Path) -> list[tuple[int, str]]:
    """The file's lines with Jinja, comments and string literals blanked (line numbers kept)."""
    text = path.read_text(encoding="utf-8")
    for pattern in (_JINJA, _COMMENT, _STRING):
        text = pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    return list(enumerate(text.splitlines(), start=1))


def _checked_files() -> list[Path]:
    models = sorted((DBT_PROJECT_DIR / "models").rglob("*.sql"))
    tests = sorted((DBT_PROJECT_DIR / "tests").rglob("*.sql"))
    return models + tests


def test_models_use_no_duckdb_only_syntax() -> None:
    files = _checked_files()
    assert len(files) > 20  # the models were found
    found = []
    for path in files:
        for number, line in _sql_text(path):
            for pattern, instead in DUCKDB_ONLY.items():
                if re.search(pattern, line, re.I):
                    relative = path.relative_to(DBT_PROJECT_DIR)
                    found.append(f"{relative}:{number}: {line.strip()}  → use {instead}")
    assert found == [], "DuckDB-only SQL (it must also run on PostgreSQL):\n" + "\n".join(found)


def test_the_check_sees_through_jinja_comments_and_strings(tmp_path: Path) -> None:
    model = tmp_path / "model.sql"
    model.write_text(
        "-- arg_max(x, y) in a comment\n"
        "select {{ arg_max('a', 'b') }}, 'group by all' as s,\n"
        "    x::integer\n"
        "from t group by all\n",
        encoding="utf-8",
    )
    hits = [
        number
        for number, line in _sql_text(model)
        for pattern in DUCKDB_ONLY
        if re.search(pattern, line, re.I)
    ]
    assert hits == [3, 4]
