"""The states of a payment and the one rule of which report may follow which.

A PSP reports a payment's state whenever it is asked, and webhooks can be repeated, late or
crossed: two handlers may fetch "open" and "paid" a moment apart and store them in the
opposite order. So a report is applied only when it moves the payment forward in its life:

    open -> pending -> authorized -> paid | failed | canceled | expired
    paid -> refunded (partly or fully) -> charged back

A report of an earlier or equal stage changes nothing (a late "open" never overrides "paid";
"expired" after "paid" neither), and only money received can go back (refunded, charged
back)."""

from __future__ import annotations

from enum import StrEnum


class PaymentStatus(StrEnum):
    """Where a payment stands; the names are those of the event contract."""

    OPEN = "open"
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PAID = "paid"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    CHARGED_BACK = "charged_back"

    @property
    def stage(self) -> int:
        """How far in a payment's life this state lies (see the module docstring)."""
        return _STAGE[self]

    @property
    def is_final_outcome(self) -> bool:
        """The checkout ended: paid, failed, canceled or expired (or later)."""
        return self.stage >= _STAGE[PaymentStatus.PAID]

    @property
    def money_received(self) -> bool:
        """The debtor's money reached the PSP (it may have gone back since)."""
        return self in MONEY_RECEIVED

    @property
    def covers_invoices(self) -> bool:
        """The invoices count as being paid online: paid, or on its way (pending, authorized).
        A second payment of them is refused while this holds."""
        return self in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED, PaymentStatus.PAID)


_STAGE = {
    PaymentStatus.OPEN: 0,
    PaymentStatus.PENDING: 1,
    PaymentStatus.AUTHORIZED: 2,
    PaymentStatus.PAID: 3,
    PaymentStatus.FAILED: 3,
    PaymentStatus.CANCELED: 3,
    PaymentStatus.EXPIRED: 3,
    PaymentStatus.REFUNDED: 4,
    PaymentStatus.CHARGED_BACK: 5,
}
MONEY_RECEIVED = frozenset({PaymentStatus.PAID, PaymentStatus.REFUNDED, PaymentStatus.CHARGED_BACK})
# States a payment can still leave without money going back: the refresher asks the PSP
# about them when no webhook came.
UNSETTLED = frozenset({PaymentStatus.OPEN, PaymentStatus.PENDING, PaymentStatus.AUTHORIZED})


def may_follow(current: PaymentStatus, reported: PaymentStatus, *, received: bool = False) -> bool:
    """True when a payment in `current` moves to `reported`; `received` says the report
    itself shows the money arrived (a PSP that keeps "paid" beside its refunds).

    >>> may_follow(PaymentStatus.OPEN, PaymentStatus.PAID)
    True
    >>> may_follow(PaymentStatus.PAID, PaymentStatus.OPEN)  # a late report
    False
    >>> may_follow(PaymentStatus.EXPIRED, PaymentStatus.REFUNDED)  # nothing was received
    False
    """
    if reported.stage <= current.stage:
        return False
    if reported in (PaymentStatus.REFUNDED, PaymentStatus.CHARGED_BACK):
        return received or current.money_received
    return True
