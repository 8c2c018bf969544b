"""The importer's own work per invoice, counted in instructions instead of seconds.

    .venv/bin/python bench/importer_instructions.py [--rows 2000 12000] [--chunk-size 1000]

The development machine's speed drifts by a third from one minute to the next, so seconds
cannot show a change of a few percent in the importer's code. valgrind's callgrind counts the
instructions a process executes, which stay the same whatever else the machine is doing. This
writes a Dutch CSV export of each size, then imports each into a new PostgreSQL database
(127.0.0.1:5432 or SETTLE_TEST_POSTGRES_URL) in a process of its own under callgrind, with no
broker (the events stay in the outbox), and prints the instructions per invoice:
(instructions of the larger import - those of the smaller) / (difference in invoices), so that
what every process does once (imports, migrations) cancels out. Compare two versions of the
code with it, not with the clock. Takes a few minutes; needs valgrind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from importer_parse import write_export

from settle_importer.adapters.sources import CsvMapping, CsvSource
from settle_importer.app import SERVICE, context_for
from settle_importer.application.importing import RunOptions, execute_run, start_run
from settle_importer.settings import ImporterSettings
from settle_shared.db import create_engine, session_factory
from settle_shared.migrations import upgrade
from settle_shared.service import tune_garbage_collection
from settle_shared.testing.infra import LOCAL_POSTGRES, scratch_database
from settle_shared.testing.service import announce_administration


async def import_once(path: Path, chunk_size: int, server: str) -> None:
    """Import ``path`` into a database of its own, as the importer service does."""
    async with scratch_database(server, "settle_bench_instructions") as url:
        engine = create_engine(url)
        try:
            await asyncio.to_thread(upgrade, SERVICE.migrations_dir, url)
            await announce_administration(SERVICE, url, "adm-bench", scheduler_enabled=False)
            settings = ImporterSettings(
                database_url=url, outbox_relay_in_process=False, chunk_size=chunk_size
            )
            ctx = context_for(settings, session_factory(engine))
            tune_garbage_collection()  # as the importer service does once it has started
            run_id = await start_run(
                ctx, "adm-bench", source="csv", source_name=path.name, trigger="command_line"
            )
            outcome = await execute_run(
                ctx,
                "adm-bench",
                run_id,
                lambda: CsvSource(path, CsvMapping.dutch()),
                RunOptions(complete=True),
            )
            assert outcome.status == "succeeded", outcome.error
        finally:
            await engine.dispose()


def instructions(path: Path, chunk_size: int) -> int:
    """Instructions executed by a process that imports ``path``, counted by callgrind."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            str(path),
            "--chunk-size",
            str(chunk_size),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        sys.exit(f"the import under callgrind failed:\n{done.stderr[-3000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs=2, default=[2_000, 12_000])
    parser.add_argument("--chunk-size", type=int, default=1_000)
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    server = os.environ.get("SETTLE_TEST_POSTGRES_URL", LOCAL_POSTGRES)
    if args.child:
        asyncio.run(import_once(Path(args.child), args.chunk_size, server))
        return
    small, large = sorted(args.rows)
    counted = {}
    with tempfile.TemporaryDirectory(prefix="settle-bench-") as folder:
        for rows in (small, large):
            path = Path(folder) / f"export-{rows}.csv"
            write_export(path, rows)
            counted[rows] = instructions(path, args.chunk_size)
            print(f"import of {rows:>7,} invoices   {counted[rows]:>16,} instructions")
    per_invoice = (counted[large] - counted[small]) / (large - small)
    print(
        f"per invoice                 {per_invoice:>16,.0f} instructions "
        f"(chunks of {args.chunk_size:,})"
    )


if __name__ == "__main__":
    main()
