"""Replay a dead-letter topic: each event goes back to the topic it came from, with its
original headers, so the consumers see it again once the cause is fixed."""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from settle_shared.consumer import DLT_HEADER_PREFIX
from settle_shared.events.base import dead_letter_topic
from settle_shared.logs import get_logger

log = get_logger(__name__)

REPLAY_GROUP = "settle-dlt-replay"


@dataclass(frozen=True)
class ReplayResult:
    """How many events a replay sent back, from which dead-letter topic."""

    replayed: int
    topic: str


async def replay_dead_letters(
    bootstrap_servers: str, topic: str, *, group_id: str = REPLAY_GROUP
) -> ReplayResult:
    """Move every event currently in `<topic>.dlt` back to its origin topic.

    The replay group's committed offset remembers what was already replayed, so running it twice
    replays nothing twice; events dead-lettered later are picked up by the next replay.
    """
    dlt = dead_letter_topic(topic) if not topic.endswith(".dlt") else topic
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await consumer.start()
    await producer.start()
    replayed = 0
    try:
        await consumer.topics()  # loads the cluster metadata
        partitions = consumer.partitions_for_topic(dlt) or set()
        if not partitions:
            raise LookupError(f"no dead-letter topic {dlt}")
        assigned = [TopicPartition(dlt, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        ends = await consumer.end_offsets(assigned)
        committed = {tp: await consumer.committed(tp) for tp in assigned}
        for tp in assigned:
            consumer.seek(tp, committed[tp] or 0)
        remaining = {tp for tp in assigned if (committed[tp] or 0) < ends[tp]}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue
                    headers = [
                        (name, value)
                        for name, value in record.headers or ()
                        if not name.startswith(DLT_HEADER_PREFIX)
                    ]
                    origin = dict(record.headers or ()).get("dlt_origin_topic", b"").decode()
                    await producer.send_and_wait(
                        origin or topic, record.value, key=record.key, headers=headers
                    )
                    replayed += 1
                await consumer.commit({tp: records[-1].offset + 1})
            remaining = {tp for tp in list(remaining) if await consumer.position(tp) < ends[tp]}
    finally:
        await producer.stop()
        await consumer.stop()
    log.info("dead letters replayed", topic=dlt, replayed=replayed)
    return ReplayResult(replayed=replayed, topic=dlt)
