"""Every refusal of the collection service, one class per kind; errors.py maps them to HTTP
statuses and dead letters in one place. The message is a sentence for a person."""

from __future__ import annotations


class CollectionError(Exception):
    """Base of the collection service's refusals; `code` is stable, the message readable."""

    code = "collection_error"


class NotFound(CollectionError):
    """Something the request names does not exist here (or not in this administration)."""

    code = "not_found"


class CaseNotFound(NotFound):
    code = "case_not_found"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"no case {case_id!r} in this administration")


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"

    def __init__(self, invoice_id: str) -> None:
        super().__init__(f"no invoice {invoice_id!r} in this administration")


class NotAllowed(CollectionError):
    """The case is not in a state that allows this; the sentence says why and what to do."""

    code = "not_allowed"


class CostsNotYetAllowed(NotAllowed):
    """A consumer's costs before the 14-day term of a provable letter has passed."""

    code = "costs_not_yet_allowed"


class NoLegalLetter(NotAllowed):
    """A consumer's invoice in the case lacks a provable 14-day letter."""

    code = "no_legal_letter"


class NothingToCharge(NotAllowed):
    code = "nothing_to_charge"


class RemitTooMuch(CollectionError):
    """More is remitted than is charged and open."""

    code = "remit_too_much"


class InvalidCase(CollectionError):
    """A case that cannot be: invoices of two debtors or currencies, none, not ready."""

    code = "invalid_case"


class InvalidSettings(CollectionError):
    code = "invalid_settings"


class NoPartner(NotAllowed):
    code = "no_partner"

    def __init__(self) -> None:
        super().__init__(
            "no judicial collection partner is chosen for this administration: choose one in "
            "the collection settings (a partner from the registry, or own partner with an "
            "email address)"
        )


class InvalidFact(CollectionError):
    """An event from another service that cannot be true; it goes to the dead-letter topic."""

    code = "invalid_fact"


class PartnerUpdateRefused(CollectionError):
    """A partner's report about a case it does not hold (unknown case, another
    administration's, another partner's) or that cannot be true. Dead-lettered: the partner
    must look at it."""

    code = "partner_update_refused"
