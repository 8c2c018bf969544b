"""Which partition a keyed record goes to: Kafka's default partitioner (murmur2 of the key,
modulo the partition count), the same choice the Java client, aiokafka and FastStream make.

The relay picks partitions itself so it can fill one record batch per partition; it must pick
exactly what any other producer of the same key would. The hash comes from `murmurhash2`
(native code), as the relay hashes the key of every record it sends. A test compares it with
aiokafka's own."""

from __future__ import annotations

from murmurhash2 import murmurhash2

# The seed Kafka's Utils.murmur2 uses.
_SEED = 0x9747B28C


def murmur2(data: bytes) -> int:
    """MurmurHash2 as Kafka computes it (org.apache.kafka.common.utils.Utils.murmur2)."""
    return murmurhash2(data, _SEED)


def partition_for(key: bytes, partitions: int) -> int:
    """The partition (0 … partitions - 1) Kafka's default partitioner gives ``key``."""
    return (murmurhash2(key, _SEED) & 0x7FFFFFFF) % partitions
