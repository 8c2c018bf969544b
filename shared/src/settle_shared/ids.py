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
    digits, version_digit = raw.hex(), _HEX_DIGITS[version]
    return [_formatted(digits, start, version_digit) for start in range(0, len(digits) - 31, 32)]


def _formatted(digits: str, start: int, version_digit: str) -> str:
    # The UUID in the 32 hex digits of `digits` from `start` on, with its version digit and
    # the variant.
    return (
        f"{digits[start : start + 8]}-{digits[start + 8 : start + 12]}-"
        f"{version_digit}{digits[start + 13 : start + 16]}-"
        f"{_VARIANT[digits[start + 16]]}{digits[start + 17 : start + 20]}-"
        f"{digits[start + 20 : start + 32]}"
    )
