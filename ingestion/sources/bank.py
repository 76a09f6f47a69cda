"""Bank statements (ISO 20022 camt.053) → ``raw_bank``.

One load per file, whole or not at all (the reader checks everything before a row is made).
A statement is known by its account and statement id: a bank sending the same statement
again, in another file, replaces it and its entries rather than adding them twice.

Amounts are signed as the company's bank account sees them (money in positive); times are
UTC (a time the bank gives without a zone is taken as Swedish time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

from ingestion.arrow_tables import AMOUNT, RawTable, files_table, schema
from ingestion.files import FileRows
from ledgerbridge.config import Company
from ledgerbridge.formats.camt import read_camt053

DATASET = "raw_bank"
SUFFIXES = (".xml", ".camt", ".053")
_S, _D, _I, _B = pa.string(), pa.date32(), pa.int64(), pa.bool_()
_TS = pa.timestamp("us", tz="UTC")
_STOCKHOLM = ZoneInfo("Europe/Stockholm")
_STATEMENT_KEY = ("company_id", "account_id", "statement_id")

FILES = files_table(
    ("format_version", _S),
    ("message_id", _S),
    ("message_created_at", _TS),
    ("statements", _I),
    ("entries", _I),
    ("warnings", _S),
)
STATEMENTS = RawTable(
    "statements",
    schema(
        ("company_id", _S, False),
        ("account_id", _S, False),
        ("statement_id", _S, False),
        ("file_sha256", _S),
        ("account_currency", _S),
        ("servicer_bic", _S),
        ("electronic_sequence", _S),
        ("legal_sequence", _S),
        ("created_at", _TS),
        ("from_at", _TS),
        ("to_at", _TS),
        ("opening_balance", AMOUNT),
        ("opening_date", _D),
        ("opening_currency", _S),
        ("closing_balance", AMOUNT),
        ("closing_date", _D),
        ("closing_currency", _S),
        ("entries", _I),
    ),
    primary_key=_STATEMENT_KEY,
)
ENTRIES = RawTable(
    "entries",
    schema(
        ("company_id", _S, False),
        ("account_id", _S, False),
        ("statement_id", _S, False),
        ("entry_index", _I, False),
        ("source_line", _I),
        ("amount", AMOUNT),
        ("currency", _S),
        ("status", _S),
        ("reversal", _B),
        ("booking_date", _D),
        ("value_date", _D),
        ("entry_reference", _S),
        ("account_servicer_reference", _S),
        ("bank_transaction_code", _S),
        ("additional_information", _S),
        ("transactions", _I),
    ),
    primary_key=(*_STATEMENT_KEY, "entry_index"),
    replace_key=_STATEMENT_KEY,
)
TRANSACTIONS = RawTable(
    "transactions",
    schema(
        ("company_id", _S, False),
        ("account_id", _S, False),
        ("statement_id", _S, False),
        ("entry_index", _I, False),
        ("transaction_index", _I, False),
        ("amount", AMOUNT),
        ("end_to_end_id", _S),
        ("account_servicer_reference", _S),
        ("counterparty_name", _S),
        ("counterparty_account", _S),
        ("remittance_information", _S),
        ("creditor_reference", _S),
    ),
    primary_key=(*_STATEMENT_KEY, "entry_index", "transaction_index"),
    replace_key=_STATEMENT_KEY,
)


TABLES = (FILES, STATEMENTS, ENTRIES, TRANSACTIONS)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_STOCKHOLM)
    return moment.astimezone(UTC)


def statement_file_rows(path: Path, sha256: str, company: Company, display: str) -> FileRows:
    """The rows of one camt.053 file per raw table (read and checked whole before a row is
    made)."""
    document = read_camt053(path, display)
    statements, entries, transactions = [], [], []
    for statement in document.statements:
        key = {
            "company_id": company.id,
            "account_id": statement.account_id,
            "statement_id": statement.statement_id,
        }
        statements.append(
            {
                **key,
                "file_sha256": sha256,
                "account_currency": statement.account_currency,
                "servicer_bic": statement.servicer_bic,
                "electronic_sequence": statement.electronic_sequence,
                "legal_sequence": statement.legal_sequence,
                "created_at": _utc(statement.created_at),
                "from_at": _utc(statement.from_at),
                "to_at": _utc(statement.to_at),
                "opening_balance": statement.opening_balance,
                "opening_date": statement.opening_date,
                "opening_currency": statement.opening_currency,
                "closing_balance": statement.closing_balance,
                "closing_date": statement.closing_date,
                "closing_currency": statement.closing_currency,
                "entries": len(statement.entries),
            }
        )
        for entry in statement.entries:
            entries.append(
                {
                    **key,
                    "entry_index": entry.index,
                    "source_line": entry.line,
                    "amount": entry.amount,
                    "currency": entry.currency,
                    "status": entry.status,
                    "reversal": entry.reversal,
                    "booking_date": entry.booking_date,
                    "value_date": entry.value_date,
                    "entry_reference": entry.entry_reference,
                    "account_servicer_reference": entry.account_servicer_reference,
                    "bank_transaction_code": entry.bank_transaction_code,
                    "additional_information": entry.additional_information,
                    "transactions": len(entry.transactions),
                }
            )
            for detail in entry.transactions:
                transactions.append(
                    {
                        **key,
                        "entry_index": entry.index,
                        "transaction_index": detail.index,
                        "amount": detail.amount,
                        "end_to_end_id": detail.end_to_end_id,
                        "account_servicer_reference": detail.account_servicer_reference,
                        "counterparty_name": detail.counterparty_name,
                        "counterparty_account": detail.counterparty_account,
                        "remittance_information": detail.remittance_information,
                        "creditor_reference": detail.creditor_reference,
                    }
                )
    return {
        STATEMENTS.name: statements,
        ENTRIES.name: entries,
        TRANSACTIONS.name: transactions,
        FILES.name: [
            {
                "company_id": company.id,
                "file_sha256": sha256,
                "file_name": path.name,
                "format_version": f"camt.053.{document.version}",
                "message_id": document.message_id,
                "message_created_at": _utc(document.created_at),
                "statements": len(statements),
                "entries": len(entries),
                "warnings": "\n".join(str(w) for w in document.warnings) or None,
                "loaded_at": datetime.now(UTC),
            }
        ],
    }
