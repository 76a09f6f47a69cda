"""SIE diagnostics: stable codes, a severity per reading mode, and words a bookkeeper uses.

Strict mode holds a file to the SIE 4 specification; lenient mode accepts deviations that real
programs make as long as the data is still whole (a wrong #FORMAT, a missing #PROGRAM …) and
reports them as warnings. Damage that changes the books (an unbalanced voucher, a cut-off file,
a wrong checksum) is an error in both.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerbridge.errors import InvalidInputError
from ledgerbridge.formats.diagnostic import ERROR, WARNING, Diagnostic


@dataclass(frozen=True)
class Code:
    strict: str
    lenient: str
    summary: str


#: Every code the reader can report. Tests hold one fixture per code.
CODES: dict[str, Code] = {
    # the bytes
    "lossy-encoding": Code(
        ERROR, ERROR, "U+FFFD replacement characters: letters were lost in a re-encoding"
    ),
    "encoding-mismatch": Code(ERROR, WARNING, "the bytes are not in the encoding #FORMAT declares"),
    "not-sie": Code(ERROR, ERROR, "the file is not a SIE file"),
    # the syntax of a line
    "unexpected-text": Code(ERROR, ERROR, "a line that is neither a #LABEL nor a brace"),
    "bad-label": Code(ERROR, ERROR, "a # not followed by a label name"),
    "unterminated-text": Code(ERROR, ERROR, "a quoted text without its closing quote"),
    "unexpected-brace": Code(ERROR, ERROR, "a } that closes nothing"),
    "unterminated-objects": Code(ERROR, ERROR, "an object list { without its closing }"),
    "missing-field": Code(ERROR, ERROR, "a record lacks a field it must have"),
    "bad-amount": Code(ERROR, ERROR, "an amount that is not a number with a point as decimal mark"),
    "bad-date": Code(ERROR, ERROR, "a date that is not a calendar date as YYYYMMDD"),
    "bad-year": Code(ERROR, ERROR, "a year number or fiscal year that makes no sense"),
    "bad-period": Code(ERROR, ERROR, "a period that is not YYYYMM"),
    "bad-objects": Code(ERROR, ERROR, "an object list that is not pairs of dimension and object"),
    "bad-flag": Code(ERROR, WARNING, "#FLAGGA other than 0 or 1"),
    # structure
    "row-outside-voucher": Code(ERROR, ERROR, "a #TRANS row or brace outside a voucher"),
    "missing-block": Code(ERROR, ERROR, "a #VER without the { that opens its rows"),
    "unclosed-voucher": Code(ERROR, ERROR, "a voucher whose rows are not closed with }"),
    "truncated": Code(ERROR, ERROR, "the file ends in the middle: it is cut off"),
    "missing-label": Code(ERROR, WARNING, "a record the specification requires is missing"),
    "flag-first": Code(ERROR, WARNING, "#FLAGGA is not the first record"),
    "unknown-label": Code(WARNING, WARNING, "a label outside the SIE 4 specification, ignored"),
    "duplicate-record": Code(ERROR, WARNING, "a record given twice for the same key"),
    # the books
    "unbalanced-voucher": Code(ERROR, ERROR, "a voucher whose #TRANS rows do not sum to zero"),
    "duplicate-voucher": Code(ERROR, WARNING, "two vouchers with the same series and number"),
    "outside-year": Code(ERROR, ERROR, "a voucher dated outside the file's fiscal year"),
    "unknown-year": Code(ERROR, ERROR, "a balance for a year that #RAR does not define"),
    "unknown-account": Code(ERROR, WARNING, "a row on an account the chart (#KONTO) lacks"),
    "unknown-object": Code(WARNING, WARNING, "a row on an object or dimension never declared"),
    "empty-voucher": Code(ERROR, WARNING, "a voucher without rows"),
    "rtrans-without-twin": Code(ERROR, WARNING, "an #RTRANS row not followed by its #TRANS twin"),
    "balances-disagree": Code(ERROR, ERROR, "IB plus the vouchers do not give the stated UB/RES"),
    "checksum-mismatch": Code(ERROR, ERROR, "#KSUMMA does not match the content"),
    "bad-checksum": Code(ERROR, ERROR, "#KSUMMA is not a number"),
    "already-imported": Code(WARNING, WARNING, "#FLAGGA 1: the file was already read by a program"),
}


class SieError(InvalidInputError):
    """A SIE file that cannot be loaded as it is; carries every diagnostic found so far."""

    code = "sie-invalid"

    def __init__(self, diagnostic: Diagnostic, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(
            str(diagnostic),
            hint="fix or re-export the file from the accounting program; nothing of it was loaded",
        )
        self.diagnostic = diagnostic
        self.diagnostics = diagnostics or [diagnostic]
