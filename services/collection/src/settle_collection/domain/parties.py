"""What collection keeps of others' facts: debtors and invoices from the importer (with what
dunning said about their end of the flow), messages from messaging; and each administration's
collection settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from settle_collection.domain.errors import InvalidSettings

OWN_PARTNER = "own_partner"


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...] = ()
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None

    @property
    def postable(self) -> bool:
        """Enough to post a letter to."""
        return bool(self.lines and self.postal_code and self.city)


@dataclass(frozen=True)
class Debtor:
    """A debtor as bookkeeping has it (read-only in Settle)."""

    debtor_id: str
    number: str
    name: str
    kind: str  # business or consumer
    emails: tuple[str, ...] = ()
    phone: str | None = None
    address: Address | None = None
    language: str | None = None
    version: int = 0

    @property
    def consumer(self) -> bool:
        """A consumer gets the stricter rules: the 14-day letter, the consumer rate."""
        return self.kind != "business"


def unknown_debtor(debtor_id: str) -> Debtor:
    """A debtor an invoice names before the importer's debtor fact arrived: treated as a
    consumer meanwhile (the stricter rules), as dunning does."""
    return Debtor(debtor_id=debtor_id, number="", name=debtor_id, kind="consumer")


@dataclass(frozen=True)
class Invoice:
    """An invoice as collection knows it: bookkeeping's facts, and once dunning's flow ended,
    when it became ready and when its 14-day letter went out."""

    invoice_id: str
    debtor_id: str
    number: str
    invoice_date: date | None  # None until the importer's fact arrived (the ready fact may
    due_date: date | None  # come first)
    amount: Decimal
    open_amount: Decimal
    currency: str
    version: int
    pdf_url: str | None = None
    settled: bool = False
    ready_on: date | None = None
    legal_letter_sent_on: date | None = None
    case_id: str | None = None

    @property
    def imported(self) -> bool:
        """The importer's fact arrived: number, dates and amount are known."""
        return self.invoice_date is not None and self.due_date is not None


@dataclass(frozen=True)
class CreditNote:
    credit_note_id: str
    debtor_id: str
    open_amount: Decimal
    version: int

    @property
    def unmatched(self) -> bool:
        """Still open in bookkeeping: not yet set off against an invoice."""
        return self.open_amount < 0


@dataclass(frozen=True)
class Message:
    """A message to or from the debtor, as messaging reported it (for the timeline, the
    dossier and the proof of the 14-day letter)."""

    message_id: str
    debtor_id: str
    invoice_ids: tuple[str, ...]
    case_id: str | None
    channel: str
    direction: str  # outbound or inbound
    state: str
    subject: str | None
    legally_required: bool
    at: datetime
    detail: str | None = None


class Opening(StrEnum):
    """Whether a case opens by itself when invoices are ready, or waits for a user."""

    AUTOMATIC = "automatic"
    APPROVAL = "approval"


class Forwarding(StrEnum):
    """Whether a case goes to the partner by itself at its last step, or waits for a user."""

    AUTOMATIC = "automatic"
    APPROVAL = "approval"


class BusinessCosts(StrEnum):
    """What a business is charged: the WIK scale, or the costs of its contract."""

    WIK = "wik"
    CONTRACTUAL = "contractual"


@dataclass(frozen=True)
class Creditor:
    """Who the creditor is, as the dossier and the handoff name them."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: Address | None = None
    iban: str | None = None
    chamber_of_commerce: str | None = None


@dataclass(frozen=True)
class AdministrationSettings:
    """An administration's choices for collection (every one the user's, per administration)."""

    opening: Opening = Opening.APPROVAL
    # True when the administration cannot deduct VAT: VAT is charged on top of the costs.
    costs_vat: bool = False
    business_costs: BusinessCosts = BusinessCosts.WIK
    contractual_rate: Decimal | None = None  # a fraction: 0.15 for 15%
    contractual_minimum: Decimal = Decimal("0.00")
    close_when_principal_paid: bool = False
    partner_id: str | None = None  # a registry partner's id, or OWN_PARTNER
    partner_email: str | None = None  # where an own partner's dossier goes
    forwarding: Forwarding = Forwarding.APPROVAL
    step_days: int = 14
    letter_delivery_days: int = 2
    creditor: Creditor = field(default_factory=Creditor)

    def __post_init__(self) -> None:
        problems = []
        if self.business_costs is BusinessCosts.CONTRACTUAL and not self.contractual_rate:
            problems.append("contractual costs need a rate (contractual_rate, e.g. 0.15)")
        if self.contractual_rate is not None and not 0 < self.contractual_rate <= 1:
            problems.append("contractual_rate is a fraction between 0 and 1 (0.15 for 15%)")
        if self.partner_id == OWN_PARTNER and not self.partner_email:
            problems.append("own partner needs partner_email, where the dossier goes")
        if not 1 <= self.step_days <= 365:
            problems.append("step_days is between 1 and 365")
        if not 0 <= self.letter_delivery_days <= 14:
            problems.append("letter_delivery_days is between 0 and 14")
        if problems:
            raise InvalidSettings("; ".join(problems))
