"""An administration's sender profile: how it signs its messages and what a hard bounce does
(block the address, fall back to a letter, or both), with the service's defaults for an
administration that has not set one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from settle_messaging.domain.model import AdministrationInfo, PostalAddress

BOUNCE_POLICIES = ("block", "letter", "both")


@dataclass(frozen=True)
class AdministrationProfile:
    """What an administration set about itself (every field optional but the languages)."""

    administration_id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str = "NL"
    iban: str | None = None
    chamber_of_commerce: str | None = None
    default_language: str = "nl"
    fallback_language: str = "en"
    bounce_policy: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class SenderProfile:
    """How an administration signs its messages, and what it wants done on a hard bounce."""

    administration: AdministrationInfo
    bounce_policy: str

    @property
    def blocks_address(self) -> bool:
        """A hard bounce blocks the address, so no later message goes to it."""
        return self.bounce_policy in ("block", "both")

    @property
    def falls_back_to_letter(self) -> bool:
        """A hard bounce sends the same step as a letter."""
        return self.bounce_policy in ("letter", "both")


@dataclass(frozen=True)
class SenderDefaults:
    """The service's own sender, for what an administration has not set."""

    name: str
    email: str
    bounce_policy: str


def sender_profile(
    stored: AdministrationProfile | None, defaults: SenderDefaults, language: str = "nl"
) -> SenderProfile:
    """The administration's profile, or the service's defaults when it has none yet (then in
    ``language``, falling back to English, or to Dutch for English)."""
    if stored is None:
        info = AdministrationInfo(
            name=defaults.name,
            email=defaults.email,
            default_language=language,
            fallback_language="en" if language != "en" else "nl",
        )
        return SenderProfile(info, defaults.bounce_policy)
    address = None
    if stored.street and stored.postal_code and stored.city:
        address = PostalAddress(stored.street, stored.postal_code, stored.city, stored.country)
    info = AdministrationInfo(
        name=stored.name or defaults.name,
        email=stored.email or defaults.email,
        default_language=stored.default_language,
        fallback_language=stored.fallback_language,
        country=stored.country,
        phone=stored.phone,
        website=stored.website,
        address=address,
        iban=stored.iban,
        chamber_of_commerce=stored.chamber_of_commerce,
    )
    return SenderProfile(info, stored.bounce_policy or defaults.bounce_policy)
