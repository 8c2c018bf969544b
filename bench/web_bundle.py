"""Benchmark: what the web app's first load costs. Reads web/dist (built by `make web`),
finds what index.html loads before the first screen shows (its module script, the chunks it
preloads and its stylesheets), and prints each file's size and gzip size, their total against
the budget of 300 KB of compressed JavaScript, and the chunks loaded later by the screens that
need them.

    make web && .venv/bin/python bench/web_bundle.py [--dist web/dist]

Exits non-zero when the first load's JavaScript passes the budget.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from html.parser import HTMLParser
from pathlib import Path

BUDGET_BYTES = 300 * 1024


class FirstLoad(HTMLParser):
    """The files index.html makes the browser fetch at once."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.files.append(str(found["src"]))
        if tag == "link" and found.get("rel") in ("modulepreload", "stylesheet"):
            self.files.append(str(found["href"]))


def sizes(path: Path) -> tuple[int, int]:
    content = path.read_bytes()
    return len(content), len(gzip.compress(content, compresslevel=9))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=Path("web/dist"))
    args = parser.parse_args()
    index = args.dist / "index.html"
    if not index.is_file():
        print(f"{index} is missing: run `make web` first", file=sys.stderr)
        return 2
    first = FirstLoad()
    first.feed(index.read_text(encoding="utf-8"))
    print(f"{'first load':<44} {'bytes':>10} {'gzip':>10}")
    script_gzip = 0
    for name in first.files:
        raw, packed = sizes(args.dist / name.lstrip("/"))
        if name.endswith(".js"):
            script_gzip += packed
        print(f"{name:<44} {raw:>10,} {packed:>10,}")
    print(
        f"{'JavaScript of the first load, gzip':<44} {'':>10} {script_gzip:>10,}"
        f"  ({script_gzip / BUDGET_BYTES:.0%} of the {BUDGET_BYTES // 1024} KB budget)"
    )
    later = sorted(
        path
        for path in (args.dist / "assets").glob("*.js")
        if f"/assets/{path.name}" not in first.files
    )
    print(f"\n{'loaded later, by the screen that needs it':<44} {'bytes':>10} {'gzip':>10}")
    for path in later:
        raw, packed = sizes(path)
        print(f"{'/assets/' + path.name:<44} {raw:>10,} {packed:>10,}")
    return 0 if script_gzip <= BUDGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
