"""What can be paid: the payments service's own copy of each open invoice, kept from the
importer's facts (invoice, debtor, currency, open amount, settled or not)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from settle_payments.domain.money import ZERO, to_amount


@dataclass(frozen=True)
class PayableInvoice:
    """An invoice as the payments service knows it. `version` is the importer's: a fact
    older than or equal to it changes nothing."""

    invoice_id: str
    debtor_id: str
    number: str
    currency: str
    open_amount: Decimal
    settled: bool
    version: int

    @property
    def is_open(self) -> bool:
        """Something is left to pay."""
        return not self.settled and self.open_amount > ZERO


def invoice_imported(known: PayableInvoice | None, fact: PayableInvoice) -> PayableInvoice | None:
    """The copy after an import of the invoice, or None when the fact is old news."""
    if known is not None and fact.version <= known.version:
        return None
    return replace(fact, open_amount=to_amount(fact.open_amount, fact.currency))


def open_amount_changed(
    known: PayableInvoice, version: int, open_amount: Decimal
) -> PayableInvoice | None:
    """Bookkeeping booked part of the invoice (or corrected it); None for old news. Zero or
    less left settles it."""
    if version <= known.version:
        return None
    amount = to_amount(open_amount, known.currency)
    return replace(known, open_amount=amount, settled=amount <= ZERO, version=version)


def invoice_settled(known: PayableInvoice, version: int) -> PayableInvoice | None:
    """Nothing is left to pay; None for old news."""
    if version <= known.version:
        return None
    return replace(known, open_amount=ZERO, settled=True, version=version)


def invoice_reopened(
    known: PayableInvoice, version: int, open_amount: Decimal
) -> PayableInvoice | None:
    """A settled invoice is open again; None for old news."""
    if version <= known.version:
        return None
    amount = to_amount(open_amount, known.currency)
    return replace(known, open_amount=amount, settled=amount <= ZERO, version=version)


def version_seen(known: PayableInvoice, version: int) -> PayableInvoice | None:
    """A fact that changes nothing payable (a fixed field flagged) still moves the version."""
    if version <= known.version:
        return None
    return replace(known, version=version)
