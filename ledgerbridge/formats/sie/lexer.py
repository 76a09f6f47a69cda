"""The bytes and the syntax of SIE lines: encoding detection, tokens, and the #KSUMMA bytes."""

from __future__ import annotations

import re
import zlib

_CP437_SWEDISH = frozenset(b"\x86\x84\x94\x8f\x8e\x99\x81\x82\x9a\x90")
_LATIN_SWEDISH = frozenset(b"\xe5\xe4\xf6\xc5\xc4\xd6\xfc\xe9\xdc\xc9")
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|([^\s"{}]+)|(\{)|(\})')
_BLANK = re.compile(r"[ \t]*")
_ESCAPED_QUOTE = re.compile(r'\\"')

#: What #FORMAT PC8 promises. SIE files are CP437 by the specification.
DECLARED = {"PC8": "cp437"}


class LexError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def detect_encoding(sample: bytes) -> str:
    """The encoding the bytes are in: CP437 as the spec says, or UTF-8 or Latin-9 as many real
    files are (whatever their #FORMAT says). Pure ASCII reads the same in all of them."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if sample.isascii():
        return "cp437"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is still UTF-8
        if exc.start >= len(sample) - 3 and exc.reason.startswith("unexpected end"):
            return "utf-8"
    cp437 = sum(sample.count(bytes((b,))) for b in _CP437_SWEDISH)
    latin = sum(sample.count(bytes((b,))) for b in _LATIN_SWEDISH)
    return "iso-8859-15" if latin > cp437 else "cp437"


#: The usual shape of a voucher row: label, account, a flat object list, amount, anything else.
_ROW = re.compile(r"(#[A-Z]*TRANS)[ \t]+([^\s\"{}]+)[ \t]+\{([^{}]*)\}[ \t]+([^\s\"{}]+)(.*)")
_OBJECT_ITEM = re.compile(r'"((?:[^"\\]|\\.)*)"|([^\s"]+)')


def tokenize_row(text: str) -> list:
    """``tokenize`` for #TRANS-like rows, several times faster on the shape nearly every row
    has; anything unusual goes through ``tokenize``."""
    match = _ROW.fullmatch(text)
    if match is None:
        return tokenize(text)
    label, account, objects, amount, tail = match.groups()
    if '"' in objects:
        if objects.count('"') % 2 or "\\" in objects:
            return tokenize(text)
        # findall gives '' for the group that did not match: take the one that did
        items = [q if q or not b else b for q, b in _OBJECT_ITEM.findall(objects)]
    else:
        items = objects.split()
    fields = [label, account, items, amount]
    if tail.strip():
        fields += tokenize(tail)
    return fields


def tokenize(text: str) -> list:
    """Fields of one record. Quoted texts lose their quotes (``\\"`` becomes ``"``); an object
    list ``{1 "Nord" 6 0001}`` becomes a list of its items."""
    if '"' not in text and "{" not in text and "}" not in text:
        return text.split()
    out: list = []
    stack: list[list] = []
    pos = 0
    length = len(text)
    while True:
        pos = _BLANK.match(text, pos).end()
        if pos >= length:
            break
        match = _TOKEN.match(text, pos)
        if match is None:
            raise LexError(
                "unterminated-text",
                f'a quoted text is not closed (no ending " after column {pos + 1})',
            )
        quoted, bare, open_brace, close_brace = match.groups()
        target = stack[-1] if stack else out
        if open_brace:
            stack.append([])
        elif close_brace:
            if not stack:
                raise LexError("unexpected-brace", "a '}' closes no object list")
            closed = stack.pop()
            (stack[-1] if stack else out).append(closed)
        elif quoted is not None:
            target.append(_ESCAPED_QUOTE.sub('"', quoted) if "\\" in quoted else quoted)
        else:
            target.append(bare)
        pos = match.end()
    if stack:
        raise LexError("unterminated-objects", "an object list '{' is not closed on its line")
    return out


def _flatten(fields: list) -> list[str]:
    out: list[str] = []
    for item in fields:
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def checksum_update(crc: int, label: str, fields: list, encoding: str) -> int:
    """Fold one record into a #KSUMMA CRC-32: the label and the field contents, without the
    blanks, enclosing quotes and braces between them (SIE 4B, the checksum chapter)."""
    text = label + "".join(_flatten(fields))
    return zlib.crc32(text.encode(encoding, errors="replace"), crc)
