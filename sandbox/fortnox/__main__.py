"""``python -m sandbox.fortnox``: run the Fortnox sandbox, or seed one from the demo company.

serve --db PATH [--port N] [--host 127.0.0.1] [fault options]
    Serve the sandbox over PATH (created if missing) on a threaded werkzeug server. Once
    it listens it prints its base URL, alone on one line (``http://127.0.0.1:8123``), so a
    parent process can wait for that line. Port 0 takes a free port. Requests are not
    logged unless --log-requests (a parent that never reads our output must not block on
    a full pipe). SIGTERM and SIGINT stop it.

seed --db PATH --demo FOLDER [--generate [--scale N] [--demo-seed S] [--broken-year]]
     [--client-id ID --redirect-uri URI [--client-secret SECRET]] [--locked-until DATE]
    Fill a new sandbox file from the demo generator's output in FOLDER (with --generate,
    generate it there first) and print what went in.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from datetime import date
from pathlib import Path

from werkzeug.serving import make_server

from sandbox.fortnox.app import Faults, FortnoxSandbox
from sandbox.fortnox.seed import SeedError, seed_from_demo
from sandbox.fortnox.store import Store


def serve(args: argparse.Namespace) -> int:
    if not args.log_requests:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    store = Store(Path(args.db))
    faults = Faults(error_rate=args.error_rate, delay=args.delay, seed=args.fault_seed,
                    drop_rate=args.drop_rate, drop_after_rate=args.drop_after_rate)  # fmt: skip
    server = make_server(args.host, args.port, FortnoxSandbox(store, faults=faults), threaded=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
    return 0


def seed(args: argparse.Namespace) -> int:
    folder = Path(args.demo)
    if args.generate:
        from sandbox.demo_company import DemoOptions, generate

        generate(
            DemoOptions(seed=args.demo_seed, scale=args.scale, broken_year=args.broken_year),
            folder,
        )
    store = Store(Path(args.db))
    try:
        report = seed_from_demo(
            store,
            folder,
            client_id=args.client_id,
            client_secret=args.client_secret,
            redirect_uri=args.redirect_uri,
            locked_until=args.locked_until,
        )
    except SeedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    counts = {k: v for k, v in vars(report).items() if k != "trial_balance"}
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m sandbox.fortnox",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = main.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="serve the sandbox over a database file")
    run.add_argument("--db", required=True, help="the sandbox's SQLite file")
    run.add_argument("--port", type=int, default=0, help="0 (the default) takes a free port")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--error-rate", type=float, default=0.0, help="share of 500 answers")
    run.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    run.add_argument(
        "--drop-rate",
        type=float,
        default=0.0,
        help="share of connections closed before the request is carried out",
    )
    run.add_argument(
        "--drop-after-rate",
        type=float,
        default=0.0,
        help="share of requests carried out, then closed without an answer",
    )
    run.add_argument("--fault-seed", type=int, default=0)
    run.add_argument("--log-requests", action="store_true")
    run.set_defaults(handler=serve)

    fill = commands.add_parser("seed", help="seed a new sandbox file from the demo company")
    fill.add_argument("--db", required=True)
    fill.add_argument("--demo", required=True, help="the demo generator's output folder")
    fill.add_argument("--generate", action="store_true", help="generate the demo there first")
    fill.add_argument("--scale", type=int, default=2000)
    fill.add_argument("--demo-seed", type=int, default=42)
    fill.add_argument("--broken-year", action="store_true")
    fill.add_argument("--client-id")
    fill.add_argument(
        "--client-secret",
        default=os.environ.get("FORTNOX_SANDBOX_CLIENT_SECRET"),
        help="default: $FORTNOX_SANDBOX_CLIENT_SECRET (keeps it off the command line)",
    )
    fill.add_argument("--redirect-uri")
    fill.add_argument("--locked-until", type=date.fromisoformat)
    fill.set_defaults(handler=seed)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
