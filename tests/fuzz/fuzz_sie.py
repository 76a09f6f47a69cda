"""Fuzz the SIE reader: mutated corpus files must give diagnostics, never an unexpected exception.

    python -m tests.fuzz.fuzz_sie --seconds 60        (what `make fuzz` runs)

Each round takes a seed file (the corpus and a small demo export), damages it the ways files
get damaged — flipped and dropped bytes, cut-off ends, stray quotes, braces and # signs,
duplicated or swapped lines, wrong encodings — and reads it in both modes. An exception that is
not the reader's own error is a bug: the input is saved under tests/fuzz/crashes/ and the run
fails.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

from ledgerbridge.errors import InvalidInputError
from ledgerbridge.formats.sie import SieReader

HERE = Path(__file__).resolve().parent
CRASHES = HERE / "crashes"
TOKENS = [
    b'"', b"{", b"}", b"#", b"\\", b"\t", b"\r\n", b"\n", b" ", b"\xef\xbf\xbd", b"-", b".", b"0",
    b"#TRANS", b"#VER", b"#KSUMMA", b"\x00", b"\xff", b"\x94", b"\xc3\xa5", b"99999999",
]  # fmt: skip


def seeds(corpus: Path) -> list[bytes]:
    files = sorted((corpus / "sie").iterdir())
    return [path.read_bytes() for path in files if path.is_file()]


def mutate(data: bytes, rng: random.Random) -> bytes:
    for _ in range(rng.randint(1, 4)):
        if not data:
            return rng.choice(TOKENS)
        kind = rng.randrange(8)
        pos = rng.randrange(len(data))
        if kind == 0:  # flip a byte
            data = data[:pos] + bytes([rng.randrange(256)]) + data[pos + 1 :]
        elif kind == 1:  # insert a token
            data = data[:pos] + rng.choice(TOKENS) + data[pos:]
        elif kind == 2:  # delete a run
            data = data[:pos] + data[pos + rng.randint(1, 64) :]
        elif kind == 3:  # cut off the end
            data = data[:pos]
        elif kind == 4:  # duplicate a line
            lines = data.split(b"\n")
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            data = b"\n".join(lines)
        elif kind == 5:  # swap two lines
            lines = data.split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
        elif kind == 6:  # re-encode as something else
            target = rng.choice(["utf-8", "latin-1", "utf-16"])
            with contextlib.suppress(UnicodeDecodeError, UnicodeEncodeError):
                data = data.decode("cp437").encode(target, errors="replace")
        else:  # replace a number with a strange one
            data = data.replace(b"00", rng.choice([b"0,0", b"1e9", b"--", b"", b"\xa0"]), 1)
    return data


def check(data: bytes, workdir: Path) -> str | None:
    """None if the reader handled the input; the traceback if it did not."""
    path = workdir / "input.se"
    path.write_bytes(data)
    for mode in ("lenient", "strict"):
        for on_error, columns in (("collect", False), ("raise", False), ("collect", True)):
            try:
                with SieReader(path, mode=mode, on_error=on_error) as reader:
                    for _ in reader.voucher_batches() if columns else reader.vouchers():
                        pass
            except InvalidInputError:
                pass
            except Exception:  # that is what we are looking for
                return traceback.format_exc()
    return None


def run(
    corpus: Path, *, seconds: float = 0, rounds: int = 0, seed: int = 0
) -> tuple[int, list[Path]]:
    rng = random.Random(seed)
    inputs = seeds(corpus)
    crashes: list[Path] = []
    done = 0
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory() as tmp:
        while (rounds and done < rounds) or (seconds and time.monotonic() < deadline):
            data = mutate(rng.choice(inputs), rng)
            failure = check(data, Path(tmp))
            done += 1
            if failure:
                CRASHES.mkdir(exist_ok=True)
                target = CRASHES / f"crash-{seed}-{done}.se"
                target.write_bytes(data)
                target.with_suffix(".txt").write_text(failure, encoding="utf-8")
                crashes.append(target)
    return done, crashes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--corpus", type=Path, default=HERE.parents[2] / "shared" / "corpus")
    args = parser.parse_args()
    done, crashes = run(args.corpus, seconds=args.seconds, seed=args.seed)
    summary = f"{done:,} mutated inputs in {args.seconds:.0f} s (seed {args.seed})"
    print(f"{summary}: {len(crashes)} crashes")
    for crash in crashes:
        print(f"  {crash} ({crash.with_suffix('.txt')})")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
