"""ISO 20022 camt.053 bank-to-customer statements (versions 001.02 to 001.08).

A file holds one message (``GrpHdr``) with one or more statements (``Stmt``), each for one
account: its balances (opening ``OPBD`` or ``PRCD``, closing ``CLBD``) and its entries
(``Ntry``), each entry with its transaction details (``TxDtls``: references, counterparty,
remittance information such as an OCR number).

Amounts are signed as the company's books see its bank account (BAS 1930, an asset): money in
(``CRDT``) positive, money out (``DBIT``) negative, as the ledger's debit-positive rows are.
A statement whose opening balance plus its booked entries is not its closing balance is an
error: the file is incomplete or damaged. When the balances or entries are in different
currencies that check cannot be made, and a warning says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from lxml import etree

from ledgerbridge.formats.xmldoc import XmlInputError, XmlReader, element_path, parse

_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})$")
_ISO20022 = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.\d{3})\.\d{3}\.\d{2}$")
#: What banks put beside their statements, by message: skipped, not refused.
OTHER_MESSAGES = {
    "camt.052": "an intraday account report",
    "camt.054": "a debit/credit notification",
    "camt.086": "a bank services billing statement",
    "pain.002": "a payment status report",
}
SUPPORTED_VERSIONS = range(2, 9)  # 001.02 … 001.08: the element names used here are shared
OPENING_CODES = ("OPBD", "PRCD")  # opening booked; previous closing booked, as some banks send
CLOSING_CODE = "CLBD"
_HINT = "ask the bank for the statement again, or fix the element named; nothing of it was loaded"


class OtherMessage(XmlInputError):
    """An ISO 20022 message that is not a statement (a notification, a status report): a
    bank's folder holds those too, and they are passed over, not refused."""

    code = "not-a-statement"


@dataclass(frozen=True)
class Transaction:
    """One ``TxDtls`` of an entry: a batch booking has several."""

    index: int
    amount: Decimal | None
    end_to_end_id: str | None
    account_servicer_reference: str | None
    counterparty_name: str | None
    counterparty_account: str | None
    remittance_information: str | None
    creditor_reference: str | None  # structured reference: an OCR number, an RF reference


@dataclass(frozen=True)
class Entry:
    index: int
    line: int | None
    amount: Decimal  # signed: money in positive
    currency: str | None
    status: str
    reversal: bool
    booking_date: date | None
    value_date: date | None
    entry_reference: str | None
    account_servicer_reference: str | None
    bank_transaction_code: str | None
    additional_information: str | None
    transactions: tuple[Transaction, ...]


@dataclass(frozen=True)
class Statement:
    statement_id: str
    account_id: str  # the IBAN, or the bank's own account number
    account_currency: str | None
    servicer_bic: str | None
    electronic_sequence: str | None
    legal_sequence: str | None
    created_at: datetime | None
    from_at: datetime | None
    to_at: datetime | None
    opening_balance: Decimal
    opening_date: date | None
    opening_currency: str | None
    closing_balance: Decimal
    closing_date: date | None
    closing_currency: str | None
    entries: tuple[Entry, ...]


@dataclass
class CamtDocument:
    version: str  # "001.02"
    message_id: str
    created_at: datetime | None
    statements: list[Statement] = field(default_factory=list)
    warnings: list = field(default_factory=list)


def read_camt053(path: Path, display: str | None = None) -> CamtDocument:
    """The statements of a camt.053 file; XmlInputError listing every problem if any."""
    display = display or str(path)
    root = parse(path, display).getroot()
    match = _NAMESPACE.match(etree.QName(root).namespace or "")
    reader = XmlReader(etree.QName(root).namespace or "", display)
    other = _ISO20022.match(etree.QName(root).namespace or "")
    if match is None and other is not None and other.group(1) in OTHER_MESSAGES:
        reader.warn(
            "not-a-statement",
            root,
            f"is {OTHER_MESSAGES[other.group(1)]} ({other.group(1)}), not a statement; passed over",
        )
        raise OtherMessage(reader.diagnostics, hint="")
    if match is None or etree.QName(root).localname != "Document":
        reader.report(
            "not-camt053",
            root,
            f"the root element is {etree.QName(root).text}; expected a camt.053 Document "
            "(namespace urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN)",
        )
        raise XmlInputError(reader.diagnostics, hint="is this a bank statement in camt.053?")
    version = int(match.group(1))
    if version not in SUPPORTED_VERSIONS:
        reader.report(
            "unsupported-version",
            root,
            f"camt.053.001.{version:02d} is not supported (001.02 to 001.08 are)",
        )
        raise XmlInputError(reader.diagnostics, hint="ask the bank for camt.053.001.02 or later")
    body = reader.find(root, "BkToCstmrStmt")
    if body is None:
        reader.missing(root, "BkToCstmrStmt", "the statement message")
        raise XmlInputError(reader.diagnostics, hint=_HINT)
    header = reader.find(body, "GrpHdr")
    message_id = None
    created = None
    if header is None:
        reader.missing(body, "GrpHdr", "the group header")
    else:
        message_id = reader.need(header, "MsgId", "the message id")
        created = reader.moment(header, "CreDtTm", "when the message was made")
    document = CamtDocument(f"001.{version:02d}", message_id or "", created)
    statements = reader.all(body, "Stmt")
    if not statements:
        reader.missing(body, "Stmt", "at least one statement")
    seen: dict[tuple[str, str], int] = {}
    for element in statements:
        statement = _statement(reader, element)
        if statement is None:
            continue
        key = (statement.account_id, statement.statement_id)
        if key in seen:
            reader.report(
                "duplicate-statement",
                element,
                f"{element_path(element)}: statement {statement.statement_id} of account "
                f"{statement.account_id} is given twice (first on line {seen[key]})",
            )
            continue
        seen[key] = element.sourceline
        document.statements.append(statement)
    if reader.errors:
        raise XmlInputError(reader.diagnostics, hint=_HINT)
    document.warnings = reader.diagnostics
    return document


def _statement(reader: XmlReader, element: etree._Element) -> Statement | None:
    errors_before = len(reader.errors)
    statement_id = reader.need(element, "Id", "the statement's id")
    account = reader.find(element, "Acct")
    account_id = currency = bic = None
    if account is None:
        reader.missing(element, "Acct", "the account the statement is for")
    else:
        account_id = reader.text(account, "Id/IBAN") or reader.text(account, "Id/Othr/Id")
        if account_id is None:
            reader.missing(account, "Id/IBAN", "the account's IBAN or Id/Othr/Id")
        currency = reader.text(account, "Ccy")
        bic = reader.text(account, "Svcr/FinInstnId/BIC") or reader.text(
            account, "Svcr/FinInstnId/BICFI"
        )
    balances = {}
    for balance in reader.all(element, "Bal"):
        code = reader.text(balance, "Tp/CdOrPrtry/Cd") or reader.text(balance, "Tp/CdOrPrtry/Prtry")
        if code is not None and code not in balances:
            balances[code] = balance
    opening = next((balances[c] for c in OPENING_CODES if c in balances), None)
    closing = balances.get(CLOSING_CODE)
    if opening is None:
        reader.missing(element, "Bal", "the opening balance: a Bal of type OPBD or PRCD")
    if closing is None:
        reader.missing(element, "Bal", "the closing balance: a Bal of type CLBD")
    opening_amount, opening_date, opening_currency = _balance(reader, opening)
    closing_amount, closing_date, closing_currency = _balance(reader, closing)
    entries = tuple(
        e
        for e in (_entry(reader, n, i) for i, n in enumerate(reader.all(element, "Ntry"), 1))
        if e is not None
    )
    if len(reader.errors) > errors_before:
        return None
    assert statement_id and account_id and opening_amount is not None
    assert closing_amount is not None
    _check_sum(
        reader,
        element,
        currency or opening_currency,
        (opening_amount, opening_currency),
        (closing_amount, closing_currency),
        entries,
    )
    period = reader.find(element, "FrToDt")
    return Statement(
        statement_id=statement_id,
        account_id=account_id,
        account_currency=currency,
        servicer_bic=bic,
        electronic_sequence=reader.text(element, "ElctrncSeqNb"),
        legal_sequence=reader.text(element, "LglSeqNb"),
        created_at=reader.moment(element, "CreDtTm", "when the statement was made"),
        from_at=reader.moment(period, "FrDtTm", "") if period is not None else None,
        to_at=reader.moment(period, "ToDtTm", "") if period is not None else None,
        opening_balance=opening_amount,
        opening_date=opening_date,
        opening_currency=opening_currency,
        closing_balance=closing_amount,
        closing_date=closing_date,
        closing_currency=closing_currency,
        entries=entries,
    )


def _signed(reader: XmlReader, under: etree._Element, amount: Decimal | None) -> Decimal | None:
    indicator = reader.need(under, "CdtDbtInd", "CRDT or DBIT")
    if indicator not in (None, "CRDT", "DBIT"):
        reader.report(
            "bad-indicator",
            reader.find(under, "CdtDbtInd"),
            f"{element_path(under)}/CdtDbtInd is '{indicator}'; expected CRDT or DBIT",
        )
        return None
    if amount is None or indicator is None:
        return None
    if amount < 0:
        reader.report(
            "bad-amount",
            reader.find(under, "Amt"),
            f"{element_path(under)}/Amt is negative; camt gives the direction in CdtDbtInd",
        )
        return None
    return amount if indicator == "CRDT" else -amount


def _balance(
    reader: XmlReader, balance: etree._Element | None
) -> tuple[Decimal | None, date | None, str | None]:
    if balance is None:
        return None, None, None
    amount = _signed(reader, balance, reader.amount(balance, "Amt", "the balance"))
    day = reader.day(balance, "Dt/Dt", "", required=False) or _day_of(
        reader.moment(balance, "Dt/DtTm", "")
    )
    if day is None:
        reader.missing(balance, "Dt/Dt", "the balance's date")
    amount_element = reader.find(balance, "Amt")
    currency = amount_element.get("Ccy") if amount_element is not None else None
    return amount, day, currency


def _day_of(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None


def _entry(reader: XmlReader, element: etree._Element, index: int) -> Entry | None:
    errors_before = len(reader.errors)
    amount = _signed(reader, element, reader.amount(element, "Amt", "the entry's amount"))
    amount_element = reader.find(element, "Amt")
    status = (
        reader.text(element, "Sts/Cd")
        or reader.text(element, "Sts/Prtry")
        or reader.text(element, "Sts")
    )
    if status is None:
        reader.missing(element, "Sts", "the entry's status: BOOK, PDNG or INFO")
    booking = reader.day(element, "BookgDt/Dt", "", required=False) or _day_of(
        reader.moment(element, "BookgDt/DtTm", "")
    )
    value = reader.day(element, "ValDt/Dt", "", required=False) or _day_of(
        reader.moment(element, "ValDt/DtTm", "")
    )
    if status == "BOOK" and booking is None:
        reader.missing(element, "BookgDt/Dt", "the booking date of a booked entry")
    domain = reader.text(element, "BkTxCd/Domn/Cd")
    code = (
        "/".join(
            c
            for c in (
                domain,
                reader.text(element, "BkTxCd/Domn/Fmly/Cd"),
                reader.text(element, "BkTxCd/Domn/Fmly/SubFmlyCd"),
            )
            if c
        )
        if domain
        else reader.text(element, "BkTxCd/Prtry/Cd")
    )
    credit = reader.text(element, "CdtDbtInd") != "DBIT"  # a zero amount has a direction too
    details = tuple(
        _transaction(reader, t, i, credit)
        for i, t in enumerate(reader.all(element, "NtryDtls/TxDtls"), 1)
    )
    if len(reader.errors) > errors_before:
        return None
    assert amount is not None and status is not None
    return Entry(
        index=index,
        line=element.sourceline,
        amount=amount,
        currency=amount_element.get("Ccy") if amount_element is not None else None,
        status=status,
        reversal=(reader.text(element, "RvslInd") or "false").lower() in ("true", "1"),
        booking_date=booking,
        value_date=value,
        entry_reference=reader.text(element, "NtryRef"),
        account_servicer_reference=reader.text(element, "AcctSvcrRef"),
        bank_transaction_code=code,
        additional_information=reader.text(element, "AddtlNtryInf"),
        transactions=details,
    )


def _transaction(
    reader: XmlReader, element: etree._Element, index: int, credit: bool
) -> Transaction:
    # the other party: who paid us on a credit, whom we paid on a debit
    party, account = ("Dbtr", "DbtrAcct") if credit else ("Cdtr", "CdtrAcct")
    name = reader.text(element, f"RltdPties/{party}/Pty/Nm") or reader.text(
        element, f"RltdPties/{party}/Nm"
    )
    number = reader.text(element, f"RltdPties/{account}/Id/IBAN") or reader.text(
        element, f"RltdPties/{account}/Id/Othr/Id"
    )
    unstructured = [" ".join(u.text.split()) for u in reader.all(element, "RmtInf/Ustrd") if u.text]
    amount = reader.amount(element, "AmtDtls/TxAmt/Amt", "", required=False)
    if amount is None:
        amount = reader.amount(element, "Amt", "", required=False)
    return Transaction(
        index=index,
        amount=(amount if credit else -amount) if amount is not None else None,
        end_to_end_id=reader.text(element, "Refs/EndToEndId"),
        account_servicer_reference=reader.text(element, "Refs/AcctSvcrRef"),
        counterparty_name=name,
        counterparty_account=number,
        remittance_information=" ".join(unstructured) or None,
        creditor_reference=reader.text(element, "RmtInf/Strd/CdtrRefInf/Ref"),
    )


def _check_sum(
    reader: XmlReader,
    element: etree._Element,
    currency: str | None,
    opening: tuple[Decimal, str | None],
    closing: tuple[Decimal, str | None],
    entries: tuple[Entry, ...],
) -> None:
    booked = [e for e in entries if e.status == "BOOK"]
    balances = {c for c in (currency, opening[1], closing[1]) if c}
    if len(balances) > 1:
        # the statement contradicts itself about its account's currency: its own figures
        # cannot be checked against each other (the corpus sample from genkgo/camt is so)
        reader.warn(
            "mixed-currencies",
            element,
            f"{element_path(element)}: the account and its balances are in "
            f"{', '.join(sorted(balances))}; the check that the entries add up to the closing "
            "balance needs one currency, so it was not made",
        )
        return
    for entry in booked:
        if entry.currency and balances and entry.currency not in balances:
            reader.report(
                "entry-currency",
                element,
                f"{element_path(element)}: entry {entry.index} (line {entry.line}) is in "
                f"{entry.currency}, the account in {next(iter(balances))}: a statement's "
                "entries are in its account's currency",
            )
            return
    total = opening[0] + sum((e.amount for e in booked), Decimal(0))
    if total != closing[0]:
        reader.report(
            "statement-does-not-add-up",
            element,
            f"{element_path(element)}: opening balance {opening[0]} plus {len(booked)} booked "
            f"entries ({total - opening[0]:+}) gives {total}, but the closing balance (CLBD) is "
            f"{closing[0]}: entries are missing or damaged",
        )
