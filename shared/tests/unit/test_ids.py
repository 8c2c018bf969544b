import os
import uuid

import pytest

from settle_shared.ids import uuid_text, uuid_texts

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("version", [4, 5])
def test_uuid_text_is_what_uuid_objects_print(version: int) -> None:
    for _ in range(5_000):
        raw = os.urandom(20)  # a SHA-1 digest is 20 bytes: only the first 16 count
        assert uuid_text(raw, version) == str(uuid.UUID(bytes=raw[:16], version=version))


@pytest.mark.parametrize("version", [4, 5])
def test_uuid_texts_are_what_uuid_objects_print_for_every_sixteen_bytes(version: int) -> None:
    raw = os.urandom(16 * 2_000)
    assert uuid_texts(raw, version) == [
        str(uuid.UUID(bytes=raw[start : start + 16], version=version))
        for start in range(0, len(raw), 16)
    ]
