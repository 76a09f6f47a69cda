"""Demo AB's bank: one camt.053.001.08 statement per month for its business account.

The bank saw what the books' 1930 saw, on the same days (the company books from the bank):
every voucher row on 1930 is an entry, customer payments with the payer and the OCR number
the invoice asked for, supplier payments with the payee and the supplier's OCR number, the
rest (salaries, taxes, rent, fees, interest) with the text the bank would show. Each
statement's opening balance plus its entries is its closing balance, and the closing balance
of a month is 1930's balance at that month's end.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from lxml import etree

from sandbox.demo_company.output import BankMovement

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
#: The ECBS example IBAN of a Swedish bank account (bank code 500): Demo AB's business account.
IBAN = "SE4550000000058398257466"
BIC = "ESSESESS"


def _months(start: date, end: date) -> Iterable[tuple[date, date]]:
    first = start.replace(day=1)
    while first <= end:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        yield first, min(end, date.fromordinal(following.toordinal() - 1))
        first = following


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _path(parent: etree._Element, path: str, text: str) -> etree._Element:
    *steps, last = path.split("/")
    for step in steps:
        parent = _sub(parent, step)
    return _sub(parent, last, text)


def _balance(statement: etree._Element, code: str, amount: Decimal, day: date) -> None:
    balance = _sub(statement, "Bal")
    _path(balance, "Tp/CdOrPrtry/Cd", code)
    _sub(balance, "Amt", f"{abs(amount):.2f}", Ccy="SEK")
    _sub(balance, "CdtDbtInd", "CRDT" if amount >= 0 else "DBIT")
    _path(balance, "Dt/Dt", day.isoformat())


def _entry(statement: etree._Element, index: int, movement: BankMovement) -> None:
    credit = movement.amount > 0
    entry = _sub(statement, "Ntry")
    _sub(entry, "NtryRef", str(index))
    _sub(entry, "Amt", f"{abs(movement.amount):.2f}", Ccy="SEK")
    _sub(entry, "CdtDbtInd", "CRDT" if credit else "DBIT")
    _path(entry, "Sts/Cd", "BOOK")
    _path(entry, "BookgDt/Dt", movement.day.isoformat())
    _path(entry, "ValDt/Dt", movement.day.isoformat())
    _sub(entry, "AcctSvcrRef", f"{movement.day:%Y%m%d}{index:05d}")
    domain = _path(entry, "BkTxCd/Domn/Cd", "PMNT").getparent()
    family = _sub(domain, "Fmly")
    _sub(family, "Cd", "RCDT" if credit else "ICDT")
    _sub(family, "SubFmlyCd", "DMCT")
    transaction = _sub(_sub(entry, "NtryDtls"), "TxDtls")
    _path(transaction, "Refs/EndToEndId", movement.voucher)
    if movement.counterparty:
        parties = _sub(transaction, "RltdPties")
        _path(parties, ("Dbtr" if credit else "Cdtr") + "/Pty/Nm", movement.counterparty)
    remittance = _sub(transaction, "RmtInf")
    if movement.reference:
        _path(remittance, "Strd/CdtrRefInf/Ref", movement.reference)
    else:
        _sub(remittance, "Ustrd", movement.text[:140])


def write_statements(
    folder: Path,
    *,
    company_name: str,
    company_id: str,
    opening_balance: Decimal,
    movements: list[BankMovement],
    start: date,
    end: date,
) -> list[Path]:
    """One statement file per month from ``start`` to ``end``; returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    balance = opening_balance
    remaining = sorted(movements, key=lambda m: m.day)  # stable: booking order within a day
    position = 0
    for number, (first, last) in enumerate(_months(start, end), 1):
        month = []
        while position < len(remaining) and remaining[position].day <= last:
            month.append(remaining[position])
            position += 1
        made = datetime.combine(last, datetime.min.time()).replace(hour=23, minute=30)
        document = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})
        body = _sub(document, "BkToCstmrStmt")
        header = _sub(body, "GrpHdr")
        _sub(header, "MsgId", f"DEMOBANK-{company_id.upper()}-{first:%Y%m}")
        _sub(header, "CreDtTm", made.isoformat())
        statement = _sub(body, "Stmt")
        _sub(statement, "Id", f"{IBAN}-{first:%Y-%m}")
        _sub(statement, "ElctrncSeqNb", str(number))
        _sub(statement, "CreDtTm", made.isoformat())
        period = _sub(statement, "FrToDt")
        _sub(period, "FrDtTm", f"{first.isoformat()}T00:00:00")
        _sub(period, "ToDtTm", f"{last.isoformat()}T23:59:59")
        account = _sub(statement, "Acct")
        _path(account, "Id/IBAN", IBAN)
        _sub(account, "Ccy", "SEK")
        _path(account, "Ownr/Nm", company_name)
        _path(account, "Svcr/FinInstnId/BICFI", BIC)
        _balance(statement, "OPBD", balance, first)
        balance += sum((m.amount for m in month), Decimal(0))
        _balance(statement, "CLBD", balance, last)
        for index, movement in enumerate(month, 1):
            _entry(statement, index, movement)
        path = folder / f"{company_id}_bank_{first:%Y-%m}.xml"
        path.write_bytes(
            etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        )
        files.append(path)
    return files
