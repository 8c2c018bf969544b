"""The administration and debtor as the dunning rules see them.

Debtor details come from bookkeeping (read-only here); the service keeps a projection and
hands it to the pure rules. Pauses live here too: they are set per administration and
per debtor, not per invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class DebtorType(StrEnum):
    """Business or consumer: the law differs (the 14-day letter is for consumers)."""

    B2B = "b2b"
    B2C = "b2c"


class Tone(StrEnum):
    """How the debtor is addressed in messages."""

    FORMAL = "formal"
    INFORMAL = "informal"


class AdministrationPause(StrEnum):
    """Pause state of a whole administration."""

    ACTIVE = "active"
    # New invoices still get their "invoice sent" step; no reminders go out.
    REMINDERS_PAUSED = "reminders_paused"
    FULLY_PAUSED = "fully_paused"


class DebtorPause(StrEnum):
    """Pause state of one debtor."""

    ACTIVE = "active"
    REMINDERS_PAUSED = "reminders_paused"
    FULLY_PAUSED = "fully_paused"


@dataclass(frozen=True)
class Administration:
    """The settings of an administration that the daily run needs.

    `paused_on` is the business date the current pause began; `last_run_date` the business
    date of the latest daily run (a run for an earlier date is refused).
    """

    id: str
    default_language: str = "nl"
    fallback_language: str = "en"
    tone: Tone = Tone.FORMAL
    pause: AdministrationPause = AdministrationPause.ACTIVE
    paused_on: date | None = None
    last_run_date: date | None = None


@dataclass(frozen=True)
class PostalAddress:
    """Where a letter goes."""

    street: str
    postal_code: str
    city: str
    country: str


@dataclass(frozen=True)
class Debtor:
    """A debtor as the dunning rules need it.

    `last_reminded_on` is the business date of the last reminder sent to this debtor (any
    invoice), used to keep the minimum interval between two reminders when bundling.
    `has_unmatched_credit_note` blocks the automatic move to ready-for-collection.
    `language` is bookkeeping's (each import may change it); `chosen_language` the one a user
    chose, which no import changes and which goes first. `country` is bookkeeping's, also
    when the address is incomplete.
    """

    id: str
    number: str
    name: str
    debtor_type: DebtorType
    emails: tuple[str, ...] = ()
    phone: str | None = None
    language: str | None = None
    address: PostalAddress | None = None
    pause: DebtorPause = DebtorPause.ACTIVE
    last_reminded_on: date | None = None
    has_unmatched_credit_note: bool = False
    chosen_language: str | None = None
    country: str | None = None

    @property
    def has_email(self) -> bool:
        """True when at least one non-blank email address is known."""
        return any(e.strip() for e in self.emails)

    @property
    def own_language(self) -> str | None:
        """The debtor's language: the one a user chose, else bookkeeping's, else none."""
        return self.chosen_language or self.language


@dataclass(frozen=True)
class CreditNote:
    """A credit note from bookkeeping (or an invoice with a negative amount); while any of it
    is open (unmatched), its debtor's invoices do not move to collection automatically, and a
    reminder in its currency states it and the amount that remains. Amounts are negative.
    `corrects_invoice_id` is the invoice it corrects, when the document says."""

    id: str
    debtor_id: str
    number: str
    amount: Decimal
    open_amount: Decimal
    currency: str
    version: int
    invoice_date: date | None = None
    corrects_invoice_id: str | None = None
    corrects_invoice_number: str | None = None

    @property
    def is_open(self) -> bool:
        """Whether some of it is still to be matched against the debtor's invoices."""
        return self.open_amount != 0


# The words of the importer's events (and of the stored rows) for each debtor type.
KIND_TO_TYPE = {"business": DebtorType.B2B, "consumer": DebtorType.B2C}
TYPE_TO_KIND = {value: key for key, value in KIND_TO_TYPE.items()}


def message_language(debtor: Debtor, administration: Administration) -> str:
    """The language a message to `debtor` is written in: theirs (chosen by a user, else
    bookkeeping's), else the administration's. Messaging may pick the language of the
    debtor's country instead of the administration's when the debtor has none."""
    return debtor.own_language or administration.default_language
