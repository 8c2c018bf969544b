"""What became of a mail handed to the SMTP server, sorted by what the sender does next: try
again later, give the message up, or record a bounce for its recipients."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Delivered:
    """The server accepted the message (for all or some recipients)."""

    refused: dict[str, tuple[int, str]]


@dataclass(frozen=True)
class Transient:
    """Try again later: nothing was accepted."""

    reason: str


@dataclass(frozen=True)
class Permanent:
    """The server refused the message for good (a 5xx reply)."""

    code: int
    reason: str


@dataclass(frozen=True)
class RecipientsRefused:
    """Every recipient was refused; ``permanent`` when the codes were 5xx."""

    refused: dict[str, tuple[int, str]]
    permanent: bool


SendOutcome = Delivered | Transient | Permanent | RecipientsRefused
