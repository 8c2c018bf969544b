import os
import uuid

import pytest

from settle_shared.ids import uuid_text

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("version", [4, 5])
def test_uuid_text_is_what_uuid_objects_print(version: int) -> None:
    for _ in range(5_000):
        raw = os.urandom(20)  # a SHA-1 digest is 20 bytes: only the first 16 count
        assert uuid_text(raw, version) == str(uuid.UUID(bytes=raw[:16], version=version))
