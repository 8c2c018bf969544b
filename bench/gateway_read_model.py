"""How fast the UI queries are on a large read model (SQLite, in process).

Fills the gateway's read model with one administration of N invoices and N/5 debtors (plus
smaller administrations beside it; debtor names are varied Dutch business and personal names,
see debtor_names), then times the dashboard, its series, the first filtered invoice page,
a deep keyset page, an invoice detail and a debtor search through the real HTTP app (in
process, one request at a time: latency of the code and queries, not of a network or a load
generator).

    .venv/bin/python bench/gateway_read_model.py --invoices 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from settle_gateway.adapters.tables import rm_debtor_words, rm_debtors, rm_invoices, rm_messages
from settle_gateway.app import SERVICE
from settle_gateway.auth.service import (
    create_user,
    ensure_administration,
    ensure_organisation,
    grant,
)
from settle_gateway.debtors.projection import word_rows
from settle_gateway.domain.access import Role
from settle_gateway.domain.series import add_months, month_end, month_start
from settle_shared.clock import FixedClock
from settle_shared.db import transaction
from settle_shared.migrations import upgrade
from settle_shared.outbox import Outbox
from settle_shared.testing.service import running_service

ADM = "big"
PHASES = ["sent", "reminder_1", "reminder_2", "final_reminder", "ready_for_collection"]
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
# Where the administration's announcement goes (the gateway's outbox; nothing publishes it here).
OUTBOX = Outbox(SERVICE.metadata, source="/settle/gateway", clock=FixedClock(NOW))
# Placeholders only: the values are bound, never formatted into the statement.
INSERT_INVOICE = "INSERT INTO rm_invoices VALUES (" + ",".join("?" * len(rm_invoices.columns)) + ")"
INSERT_MESSAGE = "INSERT INTO rm_messages VALUES (" + ",".join("?" * len(rm_messages.columns)) + ")"


def _administrations(invoices: int, others: int) -> list[tuple[str, int]]:
    return [(ADM, invoices)] + [(f"other-{n}", others) for n in range(10)]


SURNAMES = (
    "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit, Meijer, "
    "de Boer, Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker, Brouwer, "
    "de Wit, Dijkstra, Smits, de Graaf, van der Meer, van der Linden, Kok, Jacobs, de Haan, "
    "Vermeulen, van den Heuvel, van der Veen, van den Broek, de Bruijn, de Bruin, van der Heijden, "
    "Schouten, van Beek, Willems, van Vliet, van de Ven, Hoekstra, Maas, Verhoeven, Koster, "
    "van Dam, van der Wal, Prins, Blom, Huisman, Peeters, de Jonge, Kuipers, van Veen, Post, "
    "Kuiper, Veenstra, Kramer, van den Brink, Scholten, van Wijk, Postma, Martens, Vink, "
    "de Ruiter, Timmermans, Groen, Gerritsen, Jonker, van Loon, Boer, van der Velde, Willemsen, "
    "Smeets, de Lange, de Vos, Bosch, van Dongen, Schipper, de Koning, van der Laan, Koning, "
    "Driessen, van Doorn, Hermans, Evers, van den Bosch, van der Meulen, Hofman, Bosman, "
    "Wolters, Sanders, van der Horst, Mol, Kuijpers, Molenaar, van de Pol, de Leeuw, Verbeek"
).split(", ")
TRADES = (
    "Bouw, Installatietechniek, Transport, Hoveniers, Schilders, Loodgieters, Elektro, "
    "Autobedrijf, Bakkerij, Slagerij, Kozijnen, Dakwerken, Administratiekantoor, Advies, "
    "Logistiek, Metaal, Techniek, Vastgoed, Groothandel, Tegelzetters, Timmerwerken, Catering, "
    "Schoonmaak, Verhuur, Fietsen, Interieur, Keukens, Zonwering, Beveiliging, Glas"
).split(", ")
PLACES = (
    "Amsterdam, Rotterdam, Utrecht, Eindhoven, Groningen, Tilburg, Almere, Breda, Nijmegen, "
    "Apeldoorn, Haarlem, Arnhem, Enschede, Amersfoort, Zaandam, Zwolle, Leiden, Maastricht, "
    "Dordrecht, Alkmaar, Delft, Venlo, Deventer, Hilversum, Heerlen, Leeuwarden, Assen, Gouda"
).split(", ")
LEGAL_FORMS = ["B.V.", "BV", "VOF", "Holding B.V.", "& Zn.", "V.O.F.", ""]


def debtor_names(adm: str, count: int) -> list[str]:
    """Varied Dutch debtor names, the same for the same administration every run: a trade
    with a surname and/or a place and a legal form, two partners, or a private person. As in
    real ledgers a common surname or trade recurs: a search for one finds hundreds."""
    rng = random.Random(f"names-{adm}")
    names = []
    for _ in range(count):
        surname = rng.choice(SURNAMES)
        capital = surname[0].upper() + surname[1:]
        form = rng.choice(LEGAL_FORMS)
        pattern = rng.randrange(10)
        if pattern < 2:
            name = f"{capital} {rng.choice(TRADES)} {form}"
        elif pattern < 3:
            name = f"{capital} {rng.choice(TRADES)} {rng.choice(PLACES)} {form}"
        elif pattern < 5:
            trade = rng.choice(TRADES)
            business = trade if trade.endswith(("bedrijf", "kantoor", "ij")) else f"{trade}bedrijf"
            name = f"{business} {surname}"
        elif pattern < 6:
            name = f"{capital} & {rng.choice(SURNAMES)} {form}"
        elif pattern < 8:
            name = f"{rng.choice(TRADES)} {rng.choice(PLACES)} {form}"
        else:
            name = f"{rng.choice('ABCDEFGHIJKLMNPRSTW')}. {surname}"
        names.append(name.strip())
    return names


def search_fragment(rng: random.Random, names: list[str]) -> str:
    """What a user types to find a debtor: a word of its name, often only its start."""
    words = [w for w in rng.choice(names).split() if len(w) >= 4 and w.isalpha()]
    word = rng.choice(words) if words else "Bakker"
    return word[: rng.randrange(4, len(word) + 1)].lower()


def _debtors(adm: str, names: list[str]) -> Iterator[tuple[str, str, str]]:
    for n, name in enumerate(names):
        yield f"d{n}", f"D{n}", name


def _messages(rng: random.Random, adm: str, count: int, debtors: int) -> Iterator[tuple[Any, ...]]:
    """The rows of rm_messages in column order: a reminder for every second invoice, by email
    but for one in fifty a letter, of which one in five still waits to be posted."""
    for n in range(0, count, 2):
        sent = NOW - timedelta(minutes=rng.randrange(200 * 24 * 60))
        letter = rng.random() < 0.02
        state = ("awaiting_posting" if rng.random() < 0.2 else "posted") if letter else "sent"
        debtor = f"d{rng.randrange(debtors)}"
        yield (
            f"{adm}-m{n}",
            adm,
            debtor,
            f"{adm}-t{n}",
            "outbound",
            state,
            "letter" if letter else "email",
            f"Herinnering F{n:08d}",
            None,
            f'["i{n}"]',
            True,
            None,
            sent,
            sent,
        )


def _invoices(
    rng: random.Random, adm: str, count: int, names: list[str]
) -> Iterator[tuple[Any, ...]]:
    """The rows of rm_invoices in column order (dates and amounts as Python values)."""
    debtors = len(names)
    for n in range(count):
        due = date(2026, 6, 1) + timedelta(days=rng.randrange(-200, 60))
        amount = Decimal(f"{rng.randrange(10, 5000)}.{rng.randrange(100):02d}")
        debtor = rng.randrange(debtors)
        yield (
            adm,
            f"i{n}",
            1,
            None,
            f"F{n:08d}",
            f"d{debtor}",
            names[debtor],
            due - timedelta(days=30),
            due,
            amount,
            amount,
            "EUR",
            "open",
            rng.choice(PHASES),
            rng.random() < 0.01,
            "step",
            due,
            None,
            None,
            "document",
            None,
        )


# The columns COPY fills (the folded name and number are generated from them).
DEBTOR_COLUMNS = [c.name for c in rm_debtors.columns if c.computed is None]
WORD_COLUMNS = [c.name for c in rm_debtor_words.columns]
# postal_code, city, country, language, open_invoices, chosen_language of a filled debtor.
NO_ADDRESS = (None, None, "NL", "nl", 0, None)

# The aggregates the projection maintains, computed once after the rows are in.
AGGREGATES = [
    "INSERT INTO rm_phase_totals SELECT administration_id, phase, currency, count(*), "
    "sum(open_amount) FROM rm_invoices GROUP BY 1, 2, 3",
    "INSERT INTO rm_due_totals SELECT administration_id, due_date, currency, count(*), "
    "sum(open_amount) FROM rm_invoices GROUP BY 1, 2, 3",
    "UPDATE rm_debtors SET open_invoices = (SELECT count(*) FROM rm_invoices i WHERE "
    "i.administration_id = rm_debtors.administration_id AND i.debtor_id = rm_debtors.debtor_id)",
    "INSERT INTO rm_debtor_totals SELECT administration_id, debtor_id, currency, count(*), "
    "sum(open_amount) FROM rm_invoices GROUP BY 1, 2, 3",
    "ANALYZE",
]


# What the projection keeps for the dashboard's series, computed once from the rows: what was
# invoiced per month, and the open invoices per aging bucket at the 17 month ends before the
# business date as if the gateway had followed them (the same invoices open then as now).
INVOICED_PER_DAY = (
    "SELECT administration_id, invoice_date, currency, count(*), sum(amount) FROM rm_invoices "
    "GROUP BY 1, 2, 3"
)
DUE_TOTALS = "SELECT administration_id, due_date, currency, count, total FROM rm_due_totals"


def _bucket(due: date, cut: date) -> str:
    late = (cut - due).days
    if late <= 0:
        return "not_due"
    return "1-30" if late <= 30 else "31-60" if late <= 60 else "61-90" if late <= 90 else ">90"


def series_aggregates(
    invoiced_per_day: list[Any], due_totals: list[Any]
) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of rm_monthly_invoiced, month_end_aging and month_ends_closed."""
    months: dict[tuple[str, date, str], list[Any]] = {}
    for adm, day, currency, count, total in invoiced_per_day:
        day = date.fromisoformat(day) if isinstance(day, str) else day
        month = months.setdefault((adm, day.replace(day=1), currency), [0, Decimal(0)])
        month[0] += count
        month[1] += Decimal(total)
    ends = [month_end(add_months(month_start(NOW.date()), -n)) for n in range(1, 18)]
    aging: dict[tuple[str, date, str, str], list[Any]] = {}
    for adm, due, currency, count, total in due_totals:
        due = date.fromisoformat(due) if isinstance(due, str) else due
        for end in ends:
            bucket = aging.setdefault((adm, end, currency, _bucket(due, end)), [0, Decimal(0)])
            bucket[0] += count
            bucket[1] += Decimal(total)
    return {
        "rm_monthly_invoiced": [(*key, n, total) for key, (n, total) in months.items()],
        "month_end_aging": [(*key, n, total) for key, (n, total) in aging.items()],
        "month_ends_closed": [
            (adm, ends[0], ends[-1] - timedelta(days=31))
            for adm in sorted({row[0] for row in due_totals})
        ],
    }


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def fill(path: Path, invoices: int, others: int) -> None:
    """Rows straight into SQLite: far faster than projecting a million events."""
    rng = random.Random(1)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    for adm, count in _administrations(invoices, others):
        names = debtor_names(adm, max(1, count // 5))
        db.executemany(
            "INSERT INTO rm_debtors VALUES (?,?,1,?,?,'business','[]',NULL,'[]',NULL,NULL,"
            "'NL','nl',0,NULL)",
            ((adm, *debtor) for debtor in _debtors(adm, names)),
        )
        db.executemany(
            "INSERT INTO rm_debtor_words VALUES (:administration_id, :debtor_id, :word, :name)",
            word_rows(adm, _debtors(adm, names)),
        )
        db.executemany(
            INSERT_INVOICE,
            (tuple(map(_sqlite_value, row)) for row in _invoices(rng, adm, count, names)),
        )
        db.executemany(
            INSERT_MESSAGE,
            (
                tuple(map(_sqlite_value, row))
                for row in _messages(rng, adm, count, max(1, count // 5))
            ),
        )
    for statement in AGGREGATES:
        db.execute(statement)
    series = series_aggregates(
        db.execute(INVOICED_PER_DAY).fetchall(), db.execute(DUE_TOTALS).fetchall()
    )
    for table, rows in series.items():
        marks = ",".join("?" * len(rows[0]))
        db.executemany(
            f"INSERT INTO {table} VALUES ({marks})",
            (tuple(map(_sqlite_value, row)) for row in rows),
        )
    db.execute("ANALYZE")
    db.commit()
    db.close()


async def fill_postgres(url: str, invoices: int, others: int) -> None:
    """The same rows into PostgreSQL with COPY (the same random sequence as fill())."""
    import asyncpg

    rng = random.Random(1)
    db = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for adm, count in _administrations(invoices, others):
            names = debtor_names(adm, max(1, count // 5))
            await db.copy_records_to_table(
                "rm_debtors",
                columns=DEBTOR_COLUMNS,
                records=[
                    (adm, d, 1, number, name, "business", "[]", None, "[]", *NO_ADDRESS)
                    for d, number, name in _debtors(adm, names)
                ],
            )
            words = (
                tuple(w[c] for c in WORD_COLUMNS) for w in word_rows(adm, _debtors(adm, names))
            )
            while chunk := list(itertools.islice(words, 100_000)):
                await db.copy_records_to_table(
                    "rm_debtor_words", columns=WORD_COLUMNS, records=chunk
                )
            rows = _invoices(rng, adm, count, names)
            while chunk := list(itertools.islice(rows, 100_000)):
                await db.copy_records_to_table("rm_invoices", records=chunk)
            messages = _messages(rng, adm, count, max(1, count // 5))
            while chunk := list(itertools.islice(messages, 100_000)):
                await db.copy_records_to_table("rm_messages", records=chunk)
        for statement in AGGREGATES:
            await db.execute(statement)
        series = series_aggregates(
            [tuple(r) for r in await db.fetch(INVOICED_PER_DAY)],
            [tuple(r) for r in await db.fetch(DUE_TOTALS)],
        )
        for table, rows in series.items():
            await db.copy_records_to_table(table, records=rows)
        # Start from a read model as it is in service, not one just bulk-loaded: visibility
        # hints set and dead rows gone, so the measurement does not pay for (or race with)
        # autovacuum's first pass over a million fresh rows.
        await db.execute("VACUUM (ANALYZE)")
        await db.execute("CHECKPOINT")
    finally:
        await db.close()


async def measure(path: Path, requests: int) -> None:
    url = f"sqlite+aiosqlite:///{path}"
    async with running_service(SERVICE, url, jwt_secret="b" * 40) as harness:
        harness.runtime.clock = FixedClock(NOW)
        async with transaction(harness.runtime.sessions) as session:
            org = await ensure_organisation(session, "Bench", NOW)
            await ensure_administration(session, OUTBOX, org, ADM, "Big", NOW)
            user = await create_user(
                session,
                organisation_id=org,
                email="b@b.example",
                name="b",
                password="pw",
                now=NOW,
            )
            await grant(session, user, ADM, Role.RESTRICTED)
        client = harness.client
        login = await client.post(
            "/api/v1/auth/login",
            json={"email": "b@b.example", "password": "pw"},
            headers={"Authorization": ""},
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        base = f"/api/v1/administrations/{ADM}"
        cursor = None
        for _ in range(499):  # walk to page 500 once, to time it
            params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
            cursor = (await client.get(f"{base}/invoices", params=params, headers=headers)).json()[
                "next_cursor"
            ]
        cases = {
            "dashboard": (f"{base}/dashboard", {}),
            "dashboard series": (f"{base}/dashboard/series", {}),
            "invoices, phase filter": (f"{base}/invoices", {"phase": "reminder_2"}),
            "invoices, page 500": (f"{base}/invoices", {"limit": 50, "cursor": cursor}),
            "invoice detail": (f"{base}/invoices/i12345", {}),
            "debtor search": (f"{base}/debtors", {"q": "bakk"}),
            "letters to post": (f"{base}/letters", {}),
            "hello (health/live)": ("/health/live", {}),
        }
        # The series have every month's figures, as a user would see them.
        series = (await client.get(f"{base}/dashboard/series", headers=headers)).json()
        points = series["series"][0]["months"]
        assert len(points) == 18 and all(p["open"] is not None for p in points), points
        print(f"{'query':<24} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
        for name, (path_, params) in cases.items():
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get(path_, params=params, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
            times.sort()
            q = statistics.quantiles(times, n=100)
            print(f"{name:<24} {q[49]:>8.1f} {q[94]:>8.1f} {q[98]:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=200_000)
    parser.add_argument("--others", type=int, default=10_000, help="invoices per other adm.")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gateway.db"
        upgrade(SERVICE.migrations_dir, f"sqlite+aiosqlite:///{path}")
        started = time.perf_counter()
        fill(path, args.invoices, args.others)
        print(f"filled {args.invoices} invoices in {time.perf_counter() - started:.0f} s")
        asyncio.run(measure(path, args.requests))


if __name__ == "__main__":
    main()
