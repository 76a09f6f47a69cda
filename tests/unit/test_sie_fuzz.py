"""A short, seeded run of the SIE fuzzer on every `make test`; `make fuzz` runs it for longer."""

from __future__ import annotations

from pathlib import Path

from tests.fuzz.fuzz_sie import run


def test_mutated_corpus_files_never_crash_the_reader(corpus: Path) -> None:
    done, crashes = run(corpus, rounds=400, seed=20261128)
    assert done == 400
    assert crashes == [], [c.with_suffix(".txt").read_text() for c in crashes]
