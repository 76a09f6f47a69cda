"""Input files: found by suffix, known by content."""

from __future__ import annotations

import hashlib
from pathlib import Path

#: One input file's rows per raw table name, read and checked whole before it is loaded.
FileRows = dict[str, list[dict]]


def find_files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


def file_sha256(path: Path) -> str:
    """A file's identity: loading the same bytes again, under any name, does nothing."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
