"""Files that cannot be loaded are moved aside with a report, so that the folder the
accounting program exports into holds only what landed, and nothing is lost."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from ledgerbridge.config import Paths
from ledgerbridge.errors import InvalidInputError, LedgerbridgeError
from ledgerbridge.formats.sie import Diagnostic, SieReader


def full_diagnostics(path: Path, display: str) -> list[Diagnostic]:
    """Every diagnostic of a file, read to the end (loading stops at the first error)."""
    try:
        with SieReader(path, on_error="collect", display_name=display) as reader:
            for _ in reader.vouchers():
                pass
            return reader.diagnostics
    except InvalidInputError:
        return []


def quarantine(
    paths: Paths,
    company_id: str,
    path: Path,
    reason: LedgerbridgeError,
    diagnostics: list[Diagnostic],
) -> Path:
    """Move ``path`` to $LEDGERBRIDGE_HOME/quarantine/<company>/ with <name>.report.txt and
    .report.json beside it; returns where the file went."""
    folder = paths.quarantine / company_id
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{stamp}_{path.name}"
    shutil.move(path, target)
    lines = [
        f"file:       {path}",
        f"moved to:   {target}",
        f"company:    {company_id}",
        f"when (UTC): {stamp}",
        f"reason:     {reason.message}",
        "",
        "Nothing of this file was loaded. Fix it or export it again, and put it back in the "
        "folder; the next `ledgerbridge ingest` loads it.",
        "",
        f"All diagnostics ({len(diagnostics)}):",
        *(f"  {d.severity:<7} {d}" for d in diagnostics),
    ]
    target.with_name(target.name + ".report.txt").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )
    target.with_name(target.name + ".report.json").write_text(
        json.dumps(
            {
                "file": str(path),
                "moved_to": str(target),
                "company_id": company_id,
                "reason": {"code": reason.code, "message": reason.message},
                "diagnostics": [d.as_dict() for d in diagnostics],
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return target
