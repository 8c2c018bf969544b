"""The guarantees of the plumbing, proven with real processes, a real broker and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from settle_shared.testing.kafka import header, read_topic

pytestmark = pytest.mark.integration

LEDGER = Path(__file__).with_name("ledger_app.py")


def ledger(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the test ledger as its own process."""
    return subprocess.run(
        [sys.executable, str(LEDGER), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_ledger(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(LEDGER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def scalar(url: str, query: str) -> object:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            return (await conn.execute(sa.text(query))).scalar()
    finally:
        await engine.dispose()


def common(db: str, bootstrap: str, topic: str) -> list[str]:
    return ["--db", db, "--bootstrap", bootstrap, "--topic", topic]


async def test_event_committed_before_a_crash_is_published_once_after_restart(
    ledger_db: str, kafka_bootstrap: str, ledger_topic: str
) -> None:
    crashed = ledger(
        "produce", *common(ledger_db, kafka_bootstrap, ledger_topic), "--crash-after-commit"
    )
    assert crashed.returncode == 3, crashed.stderr
    assert await read_topic(kafka_bootstrap, ledger_topic) == []
    assert await scalar(ledger_db, "SELECT count(*) FROM ledger_entries") == 1

    for _ in range(2):  # the restarted relay, then once more: still one event
        relayed = ledger("relay", *common(ledger_db, kafka_bootstrap, ledger_topic))
        assert relayed.returncode == 0, relayed.stderr

    records = await read_topic(kafka_bootstrap, ledger_topic)
    assert len(records) == 1
    assert header(records[0], "ce_type") == f"settle.test.ledger.recorded.{ledger_topic}"
    assert records[0].key == b"entry-0"
    assert await scalar(ledger_db, "SELECT count(*) FROM outbox_pending") == 0


async def test_redelivery_after_a_consumer_crash_has_no_second_effect(
    ledger_db: str, kafka_bootstrap: str, ledger_topic: str
) -> None:
    args = common(ledger_db, kafka_bootstrap, ledger_topic)
    await scalar(ledger_db, "INSERT INTO ledger_administrations VALUES ('adm-1') RETURNING id")
    assert ledger("produce", *args).returncode == 0
    assert ledger("relay", *args).returncode == 0

    crashed = ledger("consume", *args, "--group", "g-crash", "--crash-after-commit")
    assert crashed.returncode == 3, crashed.stdout + crashed.stderr
    assert await scalar(ledger_db, "SELECT count(*) FROM ledger_effects") == 1

    again = ledger("consume", *args, "--group", "g-crash")
    assert again.returncode == 0, again.stdout + again.stderr
    assert await scalar(ledger_db, "SELECT count(*) FROM ledger_effects") == 1
    assert await scalar(ledger_db, "SELECT count(*) FROM inbox WHERE consumer_group='g-crash'") == 1


async def test_poison_events_go_to_the_dead_letter_topic_and_replay_brings_them_back(
    ledger_db: str, kafka_bootstrap: str, ledger_topic: str
) -> None:
    from aiokafka import AIOKafkaProducer

    args = common(ledger_db, kafka_bootstrap, ledger_topic)
    await scalar(ledger_db, "INSERT INTO ledger_administrations VALUES ('adm-1') RETURNING id")
    # Not an event at all: no CloudEvents headers.
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    await producer.send_and_wait(ledger_topic, b"{not json", key=b"junk")
    await producer.stop()
    # An event for an administration this consumer does not know (yet).
    assert (
        ledger("produce", *args, "--prefix", "late", "--administration", "adm-new").returncode == 0
    )
    # And a good one after both: the consumer must move on to it.
    assert ledger("produce", *args, "--prefix", "good").returncode == 0
    assert ledger("relay", *args).returncode == 0

    first = ledger("consume", *args, "--group", "g-poison")
    assert first.returncode == 0, first.stdout + first.stderr
    assert (
        await scalar(ledger_db, "SELECT string_agg(entry_id, ',') FROM ledger_effects") == "good-0"
    )

    dead = await read_topic(kafka_bootstrap, f"{ledger_topic}.dlt")
    by_key = {record.key: record for record in dead}
    assert set(by_key) == {b"junk", b"late-0"}
    junk = by_key[b"junk"]
    assert "missing header(s): ce_id" in (header(junk, "dlt_error") or "")
    assert header(junk, "dlt_attempts") == "1"  # never retried: it cannot ever succeed
    assert header(junk, "dlt_origin_topic") == ledger_topic
    assert header(junk, "dlt_consumer_group") == "g-poison"
    late = by_key[b"late-0"]
    assert "unknown administration adm-new" in (header(late, "dlt_error") or "")
    assert header(late, "ce_type") is not None  # the original headers travel along

    # The cause is fixed; replaying puts both back on the topic and the late one now succeeds.
    await scalar(ledger_db, "INSERT INTO ledger_administrations VALUES ('adm-new') RETURNING id")
    replay = subprocess.run(
        [
            sys.executable,
            "-m",
            "settle_shared.cli.main",
            "dlt",
            "replay",
            ledger_topic,
            "--bootstrap",
            kafka_bootstrap,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert replay.returncode == 0, replay.stderr
    assert "replayed 2 event(s)" in replay.stdout
    second = ledger("consume", *args, "--group", "g-poison")
    assert second.returncode == 0, second.stdout + second.stderr
    effects = await scalar(
        ledger_db, "SELECT string_agg(entry_id, ',' ORDER BY entry_id) FROM ledger_effects"
    )
    assert effects == "good-0,late-0"
    # The junk failed again and is back in the dead-letter topic; a second replay sends only
    # that new arrival, not the two it replayed before.
    dead_now = await read_topic(kafka_bootstrap, f"{ledger_topic}.dlt")
    assert sorted(record.key for record in dead_now) == [b"junk", b"junk", b"late-0"]
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "settle_shared.cli.main",
            "dlt",
            "replay",
            ledger_topic,
            "--bootstrap",
            kafka_bootstrap,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "replayed 1 event(s)" in again.stdout


async def test_two_replicas_split_the_partitions_and_one_takes_over_from_a_killed_one(
    ledger_db: str, kafka_bootstrap: str, ledger_topic: str
) -> None:
    args = common(ledger_db, kafka_bootstrap, ledger_topic)
    await scalar(ledger_db, "INSERT INTO ledger_administrations VALUES ('adm-1') RETURNING id")
    assert ledger("produce", *args, "--count", "400").returncode == 0
    assert ledger("relay", *args).returncode == 0

    group = ["--group", "g-replicas", "--slow", "0.02"]
    first = start_ledger("consume", *args, *group, "--name", "a", "--forever")
    second = start_ledger("consume", *args, *group, "--name", "b", "--timeout", "120")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            by_consumer = await scalar(
                ledger_db, "SELECT count(DISTINCT consumer) FROM ledger_effects"
            )
            if by_consumer == 2:
                break
            await asyncio.sleep(0.3)
        assert by_consumer == 2, "the two replicas did not share the partitions"
        first.send_signal(signal.SIGKILL)  # no goodbye: the group must notice by itself
        first.wait()
        assert second.wait(timeout=150) == 0, second.stdout.read() if second.stdout else ""
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.kill()
    rows = await scalar(ledger_db, "SELECT count(*) FROM ledger_effects")
    distinct = await scalar(ledger_db, "SELECT count(DISTINCT entry_id) FROM ledger_effects")
    assert distinct == 400, "events were lost"
    assert rows == 400, "an event had two effects"
    taken_over = await scalar(ledger_db, "SELECT count(*) FROM ledger_effects WHERE consumer = 'b'")
    assert taken_over > 0


async def test_events_lost_by_a_restarted_broker_are_published_again(
    ledger_db: str, unique_topic: str
) -> None:
    from settle_shared.kafka import ensure_topics
    from settle_shared.testing.infra import embedded_broker, free_port

    port = free_port()
    args = ["--db", ledger_db, "--topic", unique_topic]
    await scalar(ledger_db, "INSERT INTO ledger_administrations VALUES ('adm-1') RETURNING id")
    # One batch row and one single event, published once, then lost with the broker.
    assert ledger("produce", *args, "--count", "2", "--bulk").returncode == 0
    assert ledger("produce", *args, "--prefix", "single").returncode == 0
    with embedded_broker(port) as bootstrap:
        await ensure_topics(bootstrap, [unique_topic, f"{unique_topic}.dlt"], partitions=2)
        assert ledger("relay", *args, "--bootstrap", bootstrap).returncode == 0
        assert ledger("consume", *args, "--bootstrap", bootstrap, "--group", "g-r").returncode == 0
        assert len(await read_topic(bootstrap, unique_topic)) == 3
    # The embedded broker keeps nothing: the same address is now an empty, new cluster.
    assert ledger("produce", *args, "--prefix", "after").returncode == 0
    with embedded_broker(port) as bootstrap:
        await ensure_topics(bootstrap, [unique_topic, f"{unique_topic}.dlt"], partitions=2)
        relayed = ledger("relay", *args, "--bootstrap", bootstrap)
        assert relayed.returncode == 0, relayed.stderr
        replay_lines = [
            line
            for line in (relayed.stdout + relayed.stderr).splitlines()
            if "republishing the outbox" in line
        ]
        # The batch row's two events and the single one: what was replayed, counted right.
        assert len(replay_lines) == 1, replay_lines
        assert re.search(r"\bevents\W+3\b", replay_lines[0]), replay_lines[0]
        records = await read_topic(bootstrap, unique_topic)
        assert Counter(r.key.decode() for r in records) == Counter(
            ["entry-0", "entry-1", "single-0", "after-0"]
        )
        consumed = ledger("consume", *args, "--bootstrap", bootstrap, "--group", "g-r")
        assert consumed.returncode == 0, consumed.stdout + consumed.stderr
    # Everything arrived once: old events were recognised, the new one was applied.
    assert await scalar(ledger_db, "SELECT count(*) FROM ledger_effects") == 4
