"""SIE 4: the file format every Swedish accounting program reads and writes.

``SieReader`` reads types 1, 2, 3, 4E and 4I in one streaming pass with diagnostics;
``SieWriter`` writes 4E and 4I files in CP437. See docs/decisions/0010-sie-codec.md.
"""

from ledgerbridge.formats.sie.diagnostics import CODES, ERROR, WARNING, Diagnostic, SieError
from ledgerbridge.formats.sie.lexer import detect_encoding
from ledgerbridge.formats.sie.model import (
    BALANCE_KINDS,
    DIM_COST_CENTRE,
    DIM_PROJECT,
    PERIOD_KINDS,
    ROW_KINDS,
    Account,
    Balance,
    Dimension,
    FiscalYear,
    PeriodBalance,
    SieHeader,
    Voucher,
    VoucherRow,
)
from ledgerbridge.formats.sie.reader import SieReader
from ledgerbridge.formats.sie.writer import (
    SieWriter,
    Text,
    WriteReport,
    encode,
    format_header,
    format_voucher,
    write_sie,
)

__all__ = [
    "BALANCE_KINDS",
    "CODES",
    "DIM_COST_CENTRE",
    "DIM_PROJECT",
    "ERROR",
    "PERIOD_KINDS",
    "ROW_KINDS",
    "WARNING",
    "Account",
    "Balance",
    "Diagnostic",
    "Dimension",
    "FiscalYear",
    "PeriodBalance",
    "SieError",
    "SieHeader",
    "SieReader",
    "SieWriter",
    "Text",
    "Voucher",
    "VoucherRow",
    "WriteReport",
    "detect_encoding",
    "encode",
    "format_header",
    "format_voucher",
    "write_sie",
]
