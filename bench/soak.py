"""The fault suite as a soak: the real services on the embedded stack under a steady load for
N minutes while services are SIGKILLed, the broker is restarted (a new, empty cluster), the
SMTP server is stopped for a minute at a time and, with --restart-postgres, the machine's
PostgreSQL is restarted; then every check of tests/faults/suite.py. Exit status 1 when a check
fails. Everything listens on 127.0.0.1.

    .venv/bin/python bench/soak.py --minutes 20
    .venv/bin/python bench/soak.py --minutes 20 --postgres --restart-postgres
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.faults.harness import postgres_available
from tests.faults.suite import Options, run_suite


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the load runs")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="every service on PostgreSQL "
        "(127.0.0.1:5432, user postgres; fresh databases, dropped after)",
    )
    parser.add_argument(
        "--restart-postgres",
        action="store_true",
        help="also restart the machine's PostgreSQL (pg_ctlcluster VERSION main restart)",
    )
    parser.add_argument("--kill-every", type=float, default=20.0, help="seconds between SIGKILLs")
    parser.add_argument(
        "--smtp-outage", type=float, default=60.0, help="seconds the SMTP server is down"
    )
    parser.add_argument(
        "--var", type=Path, help="keep data, logs and mail here (default: a temporary folder)"
    )
    args = parser.parse_args()
    if args.restart_postgres and not args.postgres:
        parser.error("--restart-postgres needs --postgres")
    if args.postgres and not postgres_available():
        parser.error("no PostgreSQL on 127.0.0.1:5432 for user postgres")
    minutes = args.minutes
    options = Options(
        load_s=minutes * 60,
        drain_s=180.0,
        seed=args.seed,
        postgres=args.postgres,
        restart_postgres=args.restart_postgres,
        kill_every_s=args.kill_every,
        broker_restarts=max(1, int(minutes // 4)),
        smtp_outage_s=args.smtp_outage,
        smtp_outages=max(1, int(minutes // 5)),
    )
    with tempfile.TemporaryDirectory(prefix="settle-soak-") as scratch:
        var = args.var or Path(scratch) / "var"
        report = run_suite(var, options)
    print(report.text())
    return 1 if report.problems or report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
