"""dlt's delete-insert without the OR that makes a replacing load quadratic.

A table with a replace key (a company's fiscal year of SIE vouchers, a company's full ERP
export) has both a primary key and a merge key (ingestion/arrow_tables.py). dlt deletes the
rows a load replaces with

    DELETE FROM t AS d WHERE EXISTS (SELECT 1 FROM staging AS s
                                     WHERE (<primary keys equal>) OR (<merge keys equal>))

and DuckDB cannot hash-join on an OR: it compares every held row with every loaded one.
Loading a new export of a year of 10,000 rows held 11 GB and took two minutes; at a million
rows it would not finish. Our merge keys are always a subset of the primary key (the replace
key is the primary key's leading columns, or the primary key itself), so a row whose primary
key matches has a matching merge key too, and the merge-key condition alone selects exactly
the same rows: that is what this module makes dlt write. Every other case is dlt's own.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlt.destinations.sql_jobs import SqlMergeFollowupJob

_dlt_key_clauses = SqlMergeFollowupJob._gen_key_table_clauses.__func__  # type: ignore[attr-defined]


def _key_clauses(
    cls: type[SqlMergeFollowupJob], primary_keys: Sequence[str], merge_keys: Sequence[str]
) -> list[str]:
    if primary_keys and merge_keys and set(merge_keys) <= set(primary_keys):
        # primary keys equal ⇒ merge keys equal: "pk OR mk" is "mk"
        primary_keys = []
    return _dlt_key_clauses(cls, primary_keys, merge_keys)


SqlMergeFollowupJob._gen_key_table_clauses = classmethod(_key_clauses)  # type: ignore[method-assign]
