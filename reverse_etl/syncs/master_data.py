"""Master-data syncs to the accounting system: customers, suppliers, articles, accounts, cost
centres and projects."""

from __future__ import annotations

from datetime import date

import duckdb

from ledgerbridge.config import Settings
from reverse_etl.outbox import NewItem
from reverse_etl.syncs.common import Propose, dict_rows, published

#: the register's field names for a register sync's columns ({role}: customer or supplier)
REGISTER_FIELDS = {
    "{role}_name": ("Name", "before_name"),
    "organisation_number": ("OrganisationNumber", "before_orgnr"),
    "address1": ("Address1", "before_street"),
    "zip_code": ("ZipCode", "before_postal_code"),
    "city": ("City", "before_city"),
}


def register(role: str) -> Propose:
    """The proposals of sync_accounting__{role}s: parties written to the Fortnox register by
    their number, created or with the fields the ERP owns updated."""
    name = f"sync_accounting__{role}s"
    fields_of = {column.format(role=role): names for column, names in REGISTER_FIELDS.items()}

    def propose(
        con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
    ) -> list[NewItem]:
        if not published(con, name):
            return []
        rows = dict_rows(con, f"select * from {name} order by company_id, {role}_number")
        items = []
        for row in rows:
            fields = {api: row[column] for column, (api, _) in fields_of.items() if row[column]}
            before = {
                api: row[previous]
                for column, (api, previous) in fields_of.items()
                if row[column] and row["operation"] == "update"
            }
            payload = {
                "register": f"{role}s",
                "number": row[f"{role}_number"],
                "operation": row["operation"],
                "fields": fields,
            }
            items.append(
                NewItem(
                    company_id=row["company_id"],
                    sync=name,
                    operation=f"upsert_{role}",
                    # the sync reads Fortnox's register: only its companies
                    destination="fortnox",
                    source_document=f"{role} {row[f'{role}_number']}",
                    finding_id=row["finding_id"],
                    payload=payload,
                    version_of=payload,
                    needs_approval=True,
                    before=before,
                    after=fields,
                )
            )
        return items

    return propose


#: the article register's field names for sync_accounting__articles' columns
ARTICLE_FIELDS = {
    "article_name": ("Description", "before_name"),
    "sales_price": ("SalesPrice", "before_sales_price"),
    "article_type": ("Type", None),
    "vat_percent": ("VAT", None),
}


def articles(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__articles"
    if not published(con, name):
        return []
    rows = dict_rows(con, f"select * from {name} order by company_id, article_number")
    items = []
    for row in rows:
        # numbers as text in the outbox (JSON); the destination sends them as numbers
        fields = {
            api: str(int(row[c])) if c == "vat_percent" else str(row[c])
            for c, (api, _) in ARTICLE_FIELDS.items()
            if row[c] is not None
        }
        before = {
            api: None if row[previous] is None else str(row[previous])
            for c, (api, previous) in ARTICLE_FIELDS.items()
            if previous and row[c] is not None and row["operation"] == "update"
        }
        payload = {"number": row["article_number"], "operation": row["operation"],
                   "fields": fields}  # fmt: skip
        items.append(
            NewItem(
                company_id=row["company_id"],
                sync=name,
                operation="upsert_article",
                destination="fortnox",  # the sync reads Fortnox's register: only its companies
                source_document=f"article {row['article_number']}",
                finding_id=None,
                payload=payload,
                version_of=payload,
                needs_approval=True,
                before=before,
                after=fields,
            )
        )
    return items


def accounts(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__accounts"
    if not published(con, name):
        return []
    rows = con.execute(
        "select finding_id, company_id, account_number, fiscal_year_start, account_name "
        f"from {name} order by company_id, fiscal_year_start, account_number"
    ).fetchall()
    items = []
    for finding_id, company_id, number, year_start, account_name in rows:
        payload = {"number": number, "description": account_name,
                   "year_start": year_start.isoformat()}  # fmt: skip
        items.append(
            NewItem(
                company_id=company_id,
                sync=name,
                operation="create_account",
                destination="fortnox",  # only companies whose books are in Fortnox
                source_document=f"account {number} {year_start:%Y-%m-%d}",
                finding_id=finding_id,
                payload=payload,
                version_of=payload,
                needs_approval=True,
                before={},
                after={"account": number, "name": account_name, "year from": payload["year_start"]},
            )
        )
    return items


def dimension(dimension: str) -> Propose:
    """The proposals of sync_accounting__{dimension}s: members Fortnox lacks, created."""
    name = f"sync_accounting__{dimension}s"

    def propose(
        con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
    ) -> list[NewItem]:
        if not published(con, name):
            return []
        rows = con.execute(
            f"select company_id, {dimension}_code, {dimension}_name from {name} "
            f"order by company_id, {dimension}_code"
        ).fetchall()
        items = []
        for company_id, code, member_name in rows:
            payload = {"number": code, "operation": "create",
                       "fields": {"Description": member_name or code}}  # fmt: skip
            items.append(
                NewItem(
                    company_id=company_id,
                    sync=name,
                    operation=f"upsert_{dimension}",
                    destination="fortnox",  # only companies whose books are in Fortnox
                    source_document=f"{dimension.replace('_', ' ')} {code}",
                    finding_id=None,
                    payload=payload,
                    version_of=payload,
                    needs_approval=True,
                    before={},
                    after=payload["fields"],
                )
            )
        return items

    return propose
