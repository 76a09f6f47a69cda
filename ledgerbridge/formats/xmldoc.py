"""Reading the XML standards (camt.053, Peppol UBL) safely, and saying exactly what is wrong.

The parser never resolves entities, loads DTDs or touches the network (a bank file is input
from outside). Readers ask for elements by their path under a known element; a required one
that is missing or malformed becomes a diagnostic naming the file, the line and the element's
path in the document (``Stmt[2]/Ntry[14]/Amt``), and reading goes on so that one report lists
everything. ``XmlInputError`` carries them all; nothing of a file with errors is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

from ledgerbridge.errors import InvalidInputError
from ledgerbridge.formats.diagnostic import ERROR, WARNING, Diagnostic

_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)
# ASCII digits only; at most 16 before the point: money is decimal(18,2) in the warehouse
_AMOUNT = re.compile(r"^[+-]?[0-9]{1,16}(\.[0-9]+)?$")
_NUMBER = re.compile(r"^[+-]?([0-9]+)(\.[0-9]+)?$")
_CENT = Decimal("0.01")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$")  # xs:date


class XmlInputError(InvalidInputError):
    """An XML file that cannot be loaded as it is; carries every diagnostic found."""

    code = "xml-invalid"

    def __init__(self, diagnostics: list[Diagnostic], hint: str) -> None:
        errors = [d for d in diagnostics if d.severity == ERROR]
        first = errors[0] if errors else diagnostics[0]
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        super().__init__(str(first) + more, hint=hint)
        self.diagnostics = diagnostics


def parse(path: Path, display: str) -> etree._ElementTree:
    """The document, or an XmlInputError saying where the XML itself is broken."""
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        # from bytes, so that bytes wrong for the declared encoding are a syntax error with a
        # line, not an OSError without one
        return etree.ElementTree(etree.fromstring(path.read_bytes(), parser))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno and exc.lineno > 0 else None
        message = (exc.msg or str(exc)).strip()
        raise XmlInputError(
            [Diagnostic("xml-malformed", ERROR, display, line, f"not well-formed XML: {message}")],
            hint="the file is damaged or not XML; fetch it again from its sender",
        ) from None
    except OSError as exc:
        raise XmlInputError(
            [Diagnostic("unreadable", ERROR, display, None, f"cannot be read: {exc.strerror}")],
            hint="check that the file exists and may be read",
        ) from None


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def element_path(element: etree._Element) -> str:
    """``Stmt[2]/Ntry[14]/Amt``: local names from the root's child down, with a position where
    an element has siblings of the same name."""
    parts = []
    current = element
    while current is not None and current.getparent() is not None:
        parent = current.getparent()
        name = local_name(current)
        same = [c for c in parent if isinstance(c.tag, str) and local_name(c) == name]
        parts.append(f"{name}[{same.index(current) + 1}]" if len(same) > 1 else name)
        current = parent
    return "/".join(reversed(parts)) or local_name(element)


@dataclass
class XmlReader:
    """Typed reads under elements of one namespace, collecting diagnostics."""

    namespace: str
    display: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    namespaces: dict[str, str] = field(default_factory=dict)

    #: each path compiled once: compiling it on every call was most of reading a bank file
    _compiled: dict[str, etree.XPath] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.namespaces:
            self.namespaces = {"d": self.namespace}

    def _xpath(self, path: str) -> str:
        if ":" in path:
            return path
        return "/".join(
            f"d:{step}" if step not in (".", "..") else step for step in path.split("/")
        )

    # -- finding --------------------------------------------------------------------------------
    def all(self, under: etree._Element, path: str) -> list[etree._Element]:
        compiled = self._compiled.get(path)
        if compiled is None:
            compiled = etree.XPath(self._xpath(path), namespaces=self.namespaces)
            self._compiled[path] = compiled
        return compiled(under)

    def find(self, under: etree._Element, path: str) -> etree._Element | None:
        found = self.all(under, path)
        return found[0] if found else None

    def text(self, under: etree._Element, path: str) -> str | None:
        element = self.find(under, path)
        if element is None or element.text is None:
            return None
        value = " ".join(element.text.split())
        return value or None

    # -- reporting ------------------------------------------------------------------------------
    def report(self, code: str, at: etree._Element, message: str, severity: str = ERROR) -> None:
        self.diagnostics.append(Diagnostic(code, severity, self.display, at.sourceline, message))

    def warn(self, code: str, at: etree._Element, message: str) -> None:
        self.report(code, at, message, WARNING)

    def missing(self, under: etree._Element, path: str, what: str) -> None:
        self.report(
            "missing-element",
            under,
            f"{element_path(under)}/{path.replace('cbc:', '').replace('cac:', '')} is missing "
            f"({what})",
        )

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == ERROR]

    # -- typed values ---------------------------------------------------------------------------
    def _raw(
        self, under: etree._Element, path: str, what: str, required: bool
    ) -> tuple[etree._Element, str] | None:
        """The element at ``path`` and its stripped text; None (reported as missing when
        ``required``) when it is absent or empty."""
        element = self.find(under, path)
        if element is None or not (element.text or "").strip():
            if required:
                self.missing(under, path, what)
            return None
        return element, element.text.strip()

    def need(self, under: etree._Element, path: str, what: str) -> str | None:
        value = self.text(under, path)
        if value is None:
            self.missing(under, path, what)
        return value

    def amount(
        self, under: etree._Element, path: str, what: str, *, required: bool = True
    ) -> Decimal | None:
        """An amount in whole cents (the warehouse keeps money as decimal(18,2))."""
        found = self._raw(under, path, what, required)
        if found is None:
            return None
        element, raw = found
        if not _AMOUNT.match(raw):
            self.report(
                "bad-amount",
                element,
                f"{element_path(element)} is '{raw[:40]}'; expected an amount such as 1234.50 "
                "(at most 16 digits before the point)",
            )
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return None
        if value != value.quantize(_CENT):
            self.report(
                "bad-amount",
                element,
                f"{element_path(element)} is {raw}: more than two decimals (öre) for money",
            )
            return None
        return abs(value.quantize(_CENT)) if value == 0 else value.quantize(_CENT)

    def quantity(
        self, under: etree._Element, path: str, what: str, *, places: int = 4
    ) -> Decimal | None:
        """A number with at most ``places`` decimals (a quantity, a rate, a unit price)."""
        found = self._raw(under, path, what, True)
        if found is None:
            return None
        element, raw = found
        match = _NUMBER.match(raw)
        try:
            value = Decimal(raw) if match else None
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            value = None
        if value is None or len(match.group(1).lstrip("0")) > 18 - places:
            self.report(
                "bad-number",
                element,
                f"{element_path(element)} is '{raw[:40]}'; expected a number with at most "
                f"{18 - places} digits before the point",
            )
            return None
        if -value.as_tuple().exponent > places and value != round(value, places):
            self.report(
                "bad-number",
                element,
                f"{element_path(element)} is {raw}: more than {places} decimals",
            )
            return None
        return value

    def day(
        self, under: etree._Element, path: str, what: str, *, required: bool = True
    ) -> date | None:
        found = self._raw(under, path, what, required)
        if found is None:
            return None
        element, raw = found
        try:
            if not _DATE.match(raw):
                raise ValueError(raw)
            return date.fromisoformat(raw[:10])
        except ValueError:
            self.report(
                "bad-date",
                element,
                f"{element_path(element)} is '{raw[:40]}'; expected a date as YYYY-MM-DD",
            )
            return None

    def moment(self, under: etree._Element, path: str, what: str) -> datetime | None:
        found = self._raw(under, path, what, False)
        if found is None:
            return None
        element, raw = found
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            self.report(
                "bad-date",
                element,
                f"{element_path(element)} is '{raw[:40]}'; expected a date and time "
                "as YYYY-MM-DDThh:mm:ss",
            )
            return None
