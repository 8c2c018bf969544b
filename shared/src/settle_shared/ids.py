"""UUIDs as text, made without `uuid.UUID` objects: bulk work (an import, a batch of events)
makes one per row, and the object costs more than the rest of the row."""

from __future__ import annotations

# The version nibble and the RFC 4122 variant bits, which uuid.UUID(version=…) overwrites.
_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_VARIANT = 0x8000 << 48


def uuid_text(raw: bytes, version: int) -> str:
    """``str(uuid.UUID(bytes=raw[:16], version=version))``."""
    value = int.from_bytes(raw[:16]) & _CLEAR | version << 76 | _VARIANT
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
