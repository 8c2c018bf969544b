"""UUIDs as text, made without `uuid.UUID` objects: bulk work (an import, a batch of events)
makes one per row, and the object costs more than the rest of the row."""

from __future__ import annotations

_HEX_DIGITS = "0123456789abcdef"
# The RFC 4122 variant puts 10 in the top bits of the 17th hex digit.
_VARIANT = {digit: format(int(digit, 16) & 0x3 | 0x8, "x") for digit in _HEX_DIGITS}


def uuid_text(raw: bytes, version: int) -> str:
    """``str(uuid.UUID(bytes=raw[:16], version=version))``."""
    h = raw[:16].hex()
    v = _HEX_DIGITS[version]
    return f"{h[:8]}-{h[8:12]}-{v}{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def uuid_texts(raw: bytes, version: int) -> list[str]:
    """``uuid_text`` of every 16 bytes of ``raw``, from one conversion to hex."""
    h, v, variant = raw.hex(), _HEX_DIGITS[version], _VARIANT
    return [
        f"{h[s : s + 8]}-{h[s + 8 : s + 12]}-{v}{h[s + 13 : s + 16]}-"
        f"{variant[h[s + 16]]}{h[s + 17 : s + 20]}-{h[s + 20 : s + 32]}"
        for s in range(0, len(h) - 31, 32)
    ]
