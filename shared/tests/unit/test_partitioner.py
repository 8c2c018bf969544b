import random

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2

from settle_shared.partitioner import murmur2, partition_for

pytestmark = pytest.mark.unit


def test_murmur2_matches_kafkas_for_keys_of_every_length() -> None:
    rng = random.Random(7)
    keys = [b"", b"a", b"ab", b"abc", "fàctuur-€".encode()]
    keys += [rng.randbytes(rng.randrange(0, 80)) for _ in range(5_000)]
    for key in keys:
        assert murmur2(key) == aiokafka_murmur2(key), key


def test_partition_is_the_one_aiokafka_would_choose() -> None:
    # A record the relay sends must land where FastStream or aiokafka would put the same key,
    # or one aggregate's events would be split over two partitions and lose their order.
    rng = random.Random(11)
    for partitions in (1, 3, 6, 12):
        everything = list(range(partitions))
        for _ in range(2_000):
            key = str(rng.getrandbits(128)).encode()
            assert partition_for(key, partitions) == DefaultPartitioner()(
                key, everything, everything
            )
