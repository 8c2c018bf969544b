"""Which partition a keyed record goes to: Kafka's default partitioner (murmur2 of the key,
modulo the partition count), the same choice the Java client, aiokafka and FastStream make.

The relay picks partitions itself so it can fill one record batch per partition; it must pick
exactly what any other producer of the same key would. This murmur2 is aiokafka's algorithm,
unpacking the key's words at once instead of byte by byte: about three times faster, which
counts when every imported invoice is one record. A test compares the two."""

from __future__ import annotations

import struct

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """MurmurHash2 as Kafka computes it (org.apache.kafka.common.utils.Utils.murmur2)."""
    length = len(data)
    h = _SEED ^ length
    words = length >> 2
    for k in struct.unpack_from(f"<{words}I", data):
        k = (k * _M) & _MASK
        k ^= k >> 24
        h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    tail = length & ~3
    rest = length & 3
    if rest:
        if rest == 3:
            h ^= data[tail + 2] << 16
        if rest >= 2:
            h ^= data[tail + 1] << 8
        h = ((h ^ data[tail]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def partition_for(key: bytes, partitions: int) -> int:
    """The partition (0 … partitions - 1) Kafka's default partitioner gives ``key``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions
