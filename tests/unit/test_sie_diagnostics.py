"""One damaged copy of a clean SIE file per diagnostic code, each producing exactly that code."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from ledgerbridge.formats.sie import CODES, ERROR, SieReader

CLEAN = """\
#FLAGGA 0
#PROGRAM "Testprogram" 1.0
#FORMAT PC8
#GEN 20250105
#SIETYP 4
#ORGNR 556677-8899
#FNAMN "Testbolaget AB"
#RAR 0 20240101 20241231
#RAR -1 20230101 20231231
#KPTYP BAS2014
#VALUTA SEK
#KONTO 1930 "Företagskonto"
#KONTO 2081 "Aktiekapital"
#KONTO 2611 "Utgående moms"
#KONTO 3001 "Försäljning"
#KTYP 1930 T
#DIM 1 "Resultatenhet"
#OBJEKT 1 "10" "Nord"
#IB 0 1930 1000.00
#IB 0 2081 -1000.00
#UB 0 1930 2250.00
#UB 0 2081 -1000.00
#UB 0 2611 -250.00
#RES 0 3001 -1000.00
#PSALDO 0 202401 3001 {} -1000.00
#PBUDGET 0 202401 3001 {} -900.00
#VER A 1 20240115 "Försäljning" 20240116
{
#TRANS 1930 {} 1250.00
#TRANS 2611 {} -250.00
#TRANS 3001 {1 "10"} -1000.00
}
"""
EXTRA_VOUCHER = (
    '#VER A 2 20240116 "Omföring"\n{\n#TRANS 1930 {} 100.00\n#TRANS 1930 {} -100.00\n}\n'
)


def replace(old: str, new: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return mutate


def with_checksum(text: str) -> str:
    """CLEAN with #KSUMMA, computed independently of the reader: CRC-32 over each record's
    label and field contents, without blanks, quotes and braces."""
    import shlex

    crc = 0
    for line in text.splitlines()[1:]:
        if line in ("{", "}"):
            continue
        parts = shlex.split(line.replace("{", " ").replace("}", " "), posix=True)
        crc = zlib.crc32("".join(parts).encode("cp437"), crc)
    lines = text.splitlines()
    return "\n".join([lines[0], "#KSUMMA", *lines[1:], f"#KSUMMA {crc}"]) + "\n"


MUTATIONS: dict[str, tuple[str, Callable[[str], str] | bytes]] = {
    "lossy-encoding": ("lenient", replace("Testbolaget", "Testbolaget\ufffd")),
    "encoding-mismatch": ("strict", lambda t: t),  # written as UTF-8 below
    "not-sie": ("lenient", lambda t: "Detta är inte en SIE-fil\n"),
    "unexpected-text": ("lenient", replace("#KPTYP", "hej\n#KPTYP")),
    "bad-label": ("lenient", replace("#KPTYP", "#\n#KPTYP")),
    "unterminated-text": ("lenient", replace('"Nord"', '"Nord')),
    "unexpected-brace": ("lenient", replace('"Nord"', '"Nord"}')),
    "unterminated-objects": ("lenient", replace('{1 "10"} -1000.00', '{1 "10" -1000.00')),
    "missing-field": ("lenient", replace("#KPTYP BAS2014", "#KONTO")),
    "bad-amount": ("lenient", replace("1250.00", "1250,00")),
    "bad-date": ("lenient", replace("#GEN 20250105", "#GEN 20251305")),
    "bad-year": ("lenient", replace("#RAR -1 20230101 20231231", "#RAR -1 20231231 20230101")),
    "bad-period": ("lenient", replace("#PSALDO 0 202401", "#PSALDO 0 202413")),
    "bad-objects": ("lenient", replace('{1 "10"} -1000.00', "{1} -1000.00")),
    "bad-flag": ("strict", replace("#FLAGGA 0", "#FLAGGA 2")),
    "row-outside-voucher": ("lenient", replace("#KPTYP", "#TRANS 1930 {} 1.00\n#KPTYP")),
    "missing-block": ("lenient", replace("20240116\n{\n", "20240116\n")),
    "unclosed-voucher": ("lenient", lambda t: t[: t.rindex("}")] + EXTRA_VOUCHER),
    "truncated": ("lenient", lambda t: t[: t.rindex("}")]),
    "missing-label": ("strict", replace('#PROGRAM "Testprogram" 1.0\n', "")),
    "flag-first": (
        "strict",
        replace('#FLAGGA 0\n#PROGRAM "Testprogram" 1.0', '#PROGRAM "Testprogram" 1.0\n#FLAGGA 0'),
    ),
    "unknown-label": ("strict", replace("#KPTYP", "#MOMSKOD 2611 25\n#KPTYP")),
    "duplicate-record": (
        "strict",
        replace('#KONTO 1930 "Företagskonto"', '#KONTO 1930 "Företagskonto"\n#KONTO 1930 "Bank"'),
    ),
    "unbalanced-voucher": (
        "lenient",
        lambda t: t.replace("#TRANS 2611 {} -250.00", "#TRANS 2611 {} -240.00").replace(
            "#UB 0 2611 -250.00", "#UB 0 2611 -240.00"
        ),
    ),
    "duplicate-voucher": ("strict", lambda t: t + EXTRA_VOUCHER.replace("A 2", "A 1")),
    "outside-year": ("lenient", replace("#VER A 1 20240115", "#VER A 1 20250115")),
    "unknown-year": (
        "lenient",
        replace("#IB 0 1930 1000.00", "#IB 0 1930 1000.00\n#IB -2 1930 500.00"),
    ),
    "unknown-account": ("strict", lambda t: t + EXTRA_VOUCHER.replace("1930", "1910")),
    "unknown-object": ("strict", replace('{1 "10"} -1000.00', '{1 "99"} -1000.00')),
    "empty-voucher": ("strict", lambda t: t + '#VER A 2 20240116 "Tom"\n{\n}\n'),
    "rtrans-without-twin": (
        "strict",
        replace("#TRANS 3001 {1", '#RTRANS 1930 {} 5.00 20240201 "" "" "Eva"\n#TRANS 3001 {1'),
    ),
    "balances-disagree": ("lenient", replace("#UB 0 1930 2250.00", "#UB 0 1930 2200.00")),
    "checksum-mismatch": (
        "lenient",
        lambda t: with_checksum(t).replace("Testbolaget AB", "Testbolaget HB"),
    ),
    "bad-checksum": (
        "lenient",
        lambda t: with_checksum(t).rsplit("#KSUMMA ", 1)[0] + "#KSUMMA tolv\n",
    ),
    "already-imported": ("strict", replace("#FLAGGA 0", "#FLAGGA 1")),
}


def test_every_code_has_a_fixture() -> None:
    assert set(MUTATIONS) == set(CODES)


def test_the_clean_file_is_clean_in_strict_mode(tmp_path: Path) -> None:
    path = tmp_path / "clean.se"
    path.write_bytes(CLEAN.encode("cp437"))
    with SieReader(path, mode="strict") as reader:
        assert len(reader.read()) == 1
        assert reader.diagnostics == []
    checked = tmp_path / "checked.se"
    checked.write_bytes(with_checksum(CLEAN).encode("cp437"))
    with SieReader(checked, mode="strict") as reader:
        reader.read()
        assert reader.diagnostics == []


@pytest.mark.parametrize("code", sorted(CODES))
def test_each_code_has_exactly_its_diagnostic(code: str, tmp_path: Path) -> None:
    mode, mutate = MUTATIONS[code]
    text = mutate(CLEAN)
    if code == "lossy-encoding":  # a CP437 file in which a conversion left U+FFFD bytes
        data = text.replace("\ufffd", "").encode("cp437")
        data = data.replace(b"Testbolaget", b"Testbolaget\xef\xbf\xbd", 1)
    else:
        data = text.encode("utf-8" if code == "encoding-mismatch" else "cp437")
    path = tmp_path / "damaged.se"
    path.write_bytes(data)
    with SieReader(path, mode=mode, on_error="collect") as reader:
        reader.read()
    found = [d.code for d in reader.diagnostics]
    assert set(found) == {code}, [str(d) for d in reader.diagnostics]
    diagnostic = reader.diagnostics[0]
    expected = CODES[code].strict if mode == "strict" else CODES[code].lenient
    assert diagnostic.severity == expected
    assert diagnostic.path.endswith("damaged.se") and diagnostic.message
    if expected == ERROR:
        # loading stops at it
        with pytest.raises(Exception) as caught, SieReader(path, mode=mode) as loading:
            loading.read()
        assert caught.value.diagnostic.code == code


@pytest.mark.parametrize("amount", ["1250.005", "1e3", "12345678901234567.00", "--5", "+5"])
def test_amounts_the_books_cannot_hold_are_refused(amount: str, tmp_path: Path) -> None:
    path = tmp_path / "amount.se"
    path.write_bytes(CLEAN.replace("1250.00", amount).encode("cp437"))
    with SieReader(path, on_error="collect") as reader:
        reader.read()
    assert [d.code for d in reader.errors] == ["bad-amount"]


def test_the_checksum_is_over_cp437_bytes_even_in_a_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "utf8.se"
    path.write_bytes(with_checksum(CLEAN).encode("utf-8"))  # CRC computed over CP437 bytes
    with SieReader(path, on_error="collect") as reader:
        reader.read()
    assert [d.code for d in reader.diagnostics] == ["encoding-mismatch"]
