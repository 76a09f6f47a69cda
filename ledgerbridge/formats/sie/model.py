"""What a SIE file holds, as plain data: the identification and chart before the vouchers
(``SieHeader``), and the vouchers themselves, streamed one at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

#: Dimension numbers the SIE spec reserves: 1 = resultatenhet (cost centre), 6 = projekt.
DIM_COST_CENTRE = "1"
DIM_PROJECT = "6"

ROW_KINDS = ("TRANS", "RTRANS", "BTRANS")
BALANCE_KINDS = ("IB", "UB", "RES", "OIB", "OUB")
PERIOD_KINDS = ("PSALDO", "PBUDGET")

Objects = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class FiscalYear:
    index: int  # 0 = the file's current year, -1 = the one before, …
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Balance:
    """#IB, #UB, #RES (per account) and #OIB, #OUB (per account and object)."""

    kind: str
    year: int  # relative year index, as in #RAR
    account: str
    amount: Decimal
    objects: Objects = ()
    quantity: Decimal | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class PeriodBalance:
    """#PSALDO (a month's balance change) and #PBUDGET (its budget)."""

    kind: str
    year: int
    period: str  # YYYYMM
    account: str
    amount: Decimal
    objects: Objects = ()
    quantity: Decimal | None = None
    line: int = 0


@dataclass(slots=True)  # not frozen: a file holds millions, and frozen init costs 3× as much
class VoucherRow:
    kind: str  # TRANS (booked) | RTRANS (added later) | BTRANS (struck)
    account: str
    amount: Decimal
    objects: Objects = ()
    date: date | None = None
    text: str | None = None
    quantity: Decimal | None = None
    signature: str | None = None
    line: int = 0

    def object_id(self, dimension: str) -> str | None:
        return object_in(self.objects, dimension)


def object_in(objects: Objects, dimension: str) -> str | None:
    """The object of ``dimension`` in an object list, if it has one."""
    return next((object_id for dim, object_id in objects if dim == dimension), None)


@dataclass(slots=True)
class Voucher:
    series: str
    number: str
    date: date
    text: str
    registered: date | None = None
    signature: str | None = None
    rows: list[VoucherRow] = field(default_factory=list)
    line: int = 0
    #: 2 for the second voucher in the file with this series and number, and so on (some
    #: programs number every automatic voucher "1"); set by the reader.
    occurrence: int = 1

    def imbalance(self) -> Decimal:
        """Σ of the booked rows; only #TRANS counts, struck and added-later rows do not."""
        total = Decimal("0.00")
        for row in self.rows:
            if row.kind == "TRANS":
                total += row.amount
        return total

    def describe(self) -> str:
        ref = f"{self.series} {self.number}".strip() or "(unnumbered)"
        return f"voucher {ref} on {self.date.isoformat()}"


@dataclass(frozen=True, slots=True)
class Dimension:
    number: str
    name: str
    parent: str | None = None  # #UNDERDIM: the dimension this one subdivides


@dataclass(frozen=True, slots=True)
class Account:
    number: str
    name: str
    account_type: str | None = None  # #KTYP: T (tillgång), S (skuld), K (kostnad), I (intäkt)
    unit: str | None = None  # #ENHET
    sru: str | None = None  # #SRU: the tax return code


@dataclass
class SieHeader:
    """Everything before the first voucher (and anything a file puts after its vouchers)."""

    flag: int | None = None  # #FLAGGA: 1 = already imported by a receiver
    program: str | None = None
    program_version: str | None = None
    format: str | None = None  # #FORMAT as declared; the bytes decide the real encoding
    generated: date | None = None
    generated_by: str | None = None
    sie_type: str | None = None  # #SIETYP 1–4
    prosa: str | None = None
    company_type: str | None = None  # #FTYP
    company_number: str | None = None  # #FNR: the program's own id of the company
    orgnr: str | None = None
    orgnr_sequence: str | None = None  # the second field of #ORGNR (förvärvsnummer)
    industry_code: str | None = None  # #BKOD (SNI)
    address: tuple[str, str, str, str] | None = None  # contact, street, postal, phone
    company_name: str | None = None
    tax_year: int | None = None  # #TAXAR
    balances_as_of: date | None = None  # #OMFATTN
    chart_type: str | None = None  # #KPTYP
    currency: str = "SEK"
    fiscal_years: list[FiscalYear] = field(default_factory=list)
    accounts: dict[str, Account] = field(default_factory=dict)
    dimensions: dict[str, Dimension] = field(default_factory=dict)
    objects: dict[tuple[str, str], str] = field(default_factory=dict)
    balances: list[Balance] = field(default_factory=list)
    period_balances: list[PeriodBalance] = field(default_factory=list)
    #: Labels outside the SIE 4 spec, ignored as the spec says, with how often they occur.
    unknown_labels: dict[str, int] = field(default_factory=dict)

    def fiscal_year(self, index: int) -> FiscalYear | None:
        for year in self.fiscal_years:
            if year.index == index:
                return year
        return None

    @property
    def kind(self) -> str:
        """1, 2, 3, 4E (an export of the books) or 4I (vouchers for another program to book)."""
        if self.sie_type == "4" or self.sie_type is None:
            return "4E" if self.fiscal_years else "4I"
        return self.sie_type
