"""Run a bench on an earlier commit and on the working tree, alternately, and print the two
outputs side by side, so a change is judged against a baseline measured in the same session.

    .venv/bin/python bench/side_by_side.py --baseline REV [--rounds 2] -- \
        bench/importer_csv.py --rows 100000

The baseline is checked out into a temporary git worktree and run with this checkout's
virtual environment, its own source first on PYTHONPATH (the dependencies are the same while
uv.lock is). Rounds alternate baseline and current, so a machine that slows down during the
session slows both. Each pair of output lines is printed as `baseline | current`; lines that
differ only in their figures line up, because both run the same bench script.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from itertools import zip_longest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def source_path(checkout: Path) -> str:
    """PYTHONPATH putting a checkout's packages before the installed (editable) ones."""
    folders = [checkout / "shared" / "src", *sorted((checkout / "services").glob("*/src"))]
    return os.pathsep.join(str(folder) for folder in folders)


def run(checkout: Path, bench: list[str]) -> list[str]:
    env = {**os.environ, "PYTHONPATH": source_path(checkout), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, *bench],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{' '.join(bench)} failed in {checkout} (exit {done.returncode})")
    return done.stdout.splitlines()


def side_by_side(baseline: list[str], current: list[str]) -> str:
    width = max((len(line) for line in baseline), default=0)
    return "\n".join(
        f"{old:<{width}} | {new}" if old != new else old
        for old, new in zip_longest(baseline, current, fillvalue="")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", required=True, help="the git revision to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("bench", nargs=argparse.REMAINDER, help="-- bench/NAME.py [ARGS]")
    args = parser.parse_args()
    bench = args.bench[1:] if args.bench[:1] == ["--"] else args.bench
    if not bench:
        parser.error("name the bench to run after --")
    with tempfile.TemporaryDirectory(prefix="settle-baseline-") as folder:
        baseline = Path(folder) / "checkout"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(baseline), args.baseline],
            cwd=ROOT,
            check=True,
        )
        try:
            for round_number in range(1, args.rounds + 1):
                old = run(baseline, bench)
                new = run(ROOT, bench)
                print(f"## round {round_number}: baseline {args.baseline} | working tree")
                print(side_by_side(old, new), flush=True)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, check=False
            )


if __name__ == "__main__":
    main()
