"""UUIDs as text, made without `uuid.UUID` objects: bulk work (an import, a batch of events)
makes one per row, and the object costs more than the rest of the row."""

from __future__ import annotations

# The RFC 4122 variant puts 10 in the top bits of the 17th hex digit.
_VARIANT = {digit: format(int(digit, 16) & 0x3 | 0x8, "x") for digit in "0123456789abcdef"}


def uuid_text(raw: bytes, version: int) -> str:
    """``str(uuid.UUID(bytes=raw[:16], version=version))``."""
    h = raw[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{version:x}{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"
