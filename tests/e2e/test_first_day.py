"""A large administration's first day on the whole stack (PostgreSQL, the embedded broker, the
local mailbox): the export dropped, the day run, and every due reminder in the mailbox exactly
once, the dashboard and the invoice list right. The short version of bench/pipeline.py; it
checks the outcome, not the time."""

import asyncio
import email
from email import policy

import pytest

from .first_day import (
    INVOICES_PER_DEBTOR,
    OVERDUE_EVERY,
    PostgresStack,
    dashboard,
    first_day,
    phases_of,
    postgres_available,
    write_export,
)
from .steady_load import Book, steady_load

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not postgres_available(), reason="needs PostgreSQL on 127.0.0.1:5432"),
]

# The short version: 10,000 invoices (1,000 reminders), about a minute and a half of
# the day on the two-core machine (docs/operations.md, "The whole pipeline at scale").
INVOICES = 10_000
STEADY_S = 20  # then exports every three seconds and two replies a second


@pytest.mark.timeout(900)
def test_first_day_of_a_large_administration_sends_every_due_reminder_once(tmp_path, monkeypatch):
    # Messaging's default limit (600 mails an administration a minute) would pace the 1,000
    # reminders over 100 s; the limit has its own tests, the test lifts it.
    monkeypatch.setenv("SETTLE_MESSAGING_RATE_LIMIT_PER_MINUTE", "0")
    export = write_export(tmp_path / "export.csv", INVOICES)
    stack = PostgresStack(tmp_path / "var")

    book = Book.after_first_day(INVOICES)

    async def day_then_steady_load():  # type: ignore[no-untyped-def]
        await stack.start()
        day = await first_day(stack, export, timeout_s=600)
        steady = await steady_load(stack, book, STEADY_S, every_s=3.0, replies_per_s=2.0)
        return day, steady, await dashboard(stack)

    try:
        result, steady, after = asyncio.run(day_then_steady_load())
    finally:
        stack.stop()

    assert result.import_run["status"] == "succeeded", result.import_run
    assert result.import_run["counts"]["new"] == INVOICES
    assert result.daily_run["steps_executed"] == export.overdue.count
    assert result.daily_run["messages_requested"] == export.reminders

    # Every debtor with an overdue invoice has exactly one reminder, naming that invoice.
    expected = {
        f"debiteur{n // INVOICES_PER_DEBTOR}@example.nl": f"F{n:07d}"
        for n in range(0, INVOICES, OVERDUE_EVERY)
    }
    received: dict[str, list[str]] = {}
    for path in sorted((stack.config.var_dir / "mail").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        [to] = message["To"].addresses
        received.setdefault(to.addr_spec, []).append(
            message.get_body(preferencelist=("plain",)).get_content()
        )
    assert sorted(received) == sorted(expected)
    assert all(len(texts) == 1 for texts in received.values())
    assert all(expected[to] in texts[0] for to, texts in received.items())

    # The dashboard: the reminded invoices in reminder_1, the others not yet due, with the
    # export's open amounts to the cent; the list of reminded invoices says the same.
    assert phases_of(result.dashboard) == {
        "reminder_1": (export.overdue.count, export.overdue.total),
        "sent": (export.not_due.count, export.not_due.total),
    }
    assert (result.listed.count, result.listed.total) == (
        export.overdue.count,
        export.overdue.total,
    )

    # Then the steady load: nothing of it is lost. The dashboard's open invoices are the last
    # export's, to the cent, and every reply reached dunning and the gateway once.
    assert steady.exports >= 3 and steady.replies >= 10
    phases = phases_of(after)
    assert (
        sum(count for count, _ in phases.values()),
        sum(total for _, total in phases.values()),
    ) == book.totals()
    for consumer in ("dunning", "gateway"):
        assert steady.consumed[("settle.messaging.reply.received", consumer)] == steady.replies
    assert steady.by_consumer["gateway"].quantile(0.99) > 0
