"""UUIDs as text, made without `uuid.UUID` objects: bulk work (an import, a batch of events)
makes one per row, and the object costs more than the rest of the row."""

from __future__ import annotations

_HEX_DIGITS = "0123456789abcdef"
# The RFC 4122 variant puts 10 in the top bits of the 17th hex digit.
_VARIANT = {digit: format(int(digit, 16) & 0x3 | 0x8, "x") for digit in _HEX_DIGITS}


def uuid_text(raw: bytes, version: int) -> str:
    """``str(uuid.UUID(bytes=raw[:16], version=version))``."""
    return _formatted(raw[:16].hex(), 0, _HEX_DIGITS[version])


def uuid_texts(raw: bytes, version: int) -> list[str]:
    """``uuid_text`` of every 16 bytes of ``raw``, from one conversion to hex."""
    h, v = raw.hex(), _HEX_DIGITS[version]
    return [_formatted(h, s, v) for s in range(0, len(h) - 31, 32)]


def _formatted(h: str, s: int, v: str) -> str:
    # The UUID in the 32 hex digits of h from s on, with version digit v and the variant.
    return (
        f"{h[s : s + 8]}-{h[s + 8 : s + 12]}-{v}{h[s + 13 : s + 16]}-"
        f"{_VARIANT[h[s + 16]]}{h[s + 17 : s + 20]}-{h[s + 20 : s + 32]}"
    )
