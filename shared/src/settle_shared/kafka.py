"""The one way a service talks to Kafka: a FastStream broker made the same way everywhere,
and topics created explicitly with the configured partition counts."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from settle_shared.events.base import TOPICS, dead_letter_topic
from settle_shared.logs import get_logger
from settle_shared.settings import ServiceSettings

log = get_logger(__name__)


class _TopicsMadeByUs(logging.Filter):
    """Drops FastStream's "Auto create topics is disabled" warning: a service creates the
    catalogue's topics itself before its subscribers start, so the warning is never news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Auto create topics is disabled")


# FastStream's own logger carries a coloured handler of its own; this one propagates to the
# root handler of settle_shared.logs, so broker lines are JSON like every other line.
BROKER_LOGGER = logging.getLogger("settle.broker")
BROKER_LOGGER.addFilter(_TopicsMadeByUs())


def create_broker(settings: ServiceSettings, *, client_id: str) -> KafkaBroker:
    """A broker that never creates topics behind our back (FastStream would make them with
    one partition) and waits for every replica (`acks=all`)."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_idempotence,
        allow_auto_create_topics=False,
        logger=BROKER_LOGGER,
        # FastStream logs every message at the broker's level; per-message lines are debug.
        log_level=logging.DEBUG,
    )


def catalogue_topics() -> list[str]:
    """Every topic of the event catalogue with its dead-letter topic."""
    names: list[str] = []
    for name in sorted(TOPICS):
        names += [name, dead_letter_topic(name)]
    return names


async def ensure_topics(
    bootstrap_servers: str,
    names: Iterable[str],
    *,
    partitions: int,
    replication_factor: int = 1,
) -> list[str]:
    """Create the topics that do not exist yet; returns the ones it created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="settle-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in dict.fromkeys(names) if name not in existing]
        if not missing:
            return []
        try:
            await admin.create_topics(
                [NewTopic(name, partitions, replication_factor) for name in missing]
            )
        except TopicAlreadyExistsError:
            pass  # another replica was quicker; the topic is there, which is all we want
        log.info("topics created", topics=missing, partitions=partitions)
        return missing
    finally:
        await admin.close()


async def cluster_id(bootstrap_servers: str) -> str:
    """The broker cluster's id. A new id means a new cluster, which holds none of our events."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="settle-admin")
    await admin.start()
    try:
        described = await admin.describe_cluster()
        return str(described["cluster_id"])
    finally:
        await admin.close()
