"""When a case opens. An invoice whose reminder flow ended (dunning's InvoiceReadyForCollection)
joins its debtor's case in the same currency while that case has not gone to the partner;
otherwise a new case starts: open at once when the administration opens cases automatically,
else proposed to a user. Never automatically while the debtor has an unmatched credit note:
the credit may be meant for these invoices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from settle_collection.domain.cases import (
    Case,
    CaseInvoice,
    add_invoices,
    can_take_invoices,
    start_case,
)
from settle_collection.domain.errors import InvalidCase
from settle_collection.domain.parties import (
    AdministrationSettings,
    CreditNote,
    Debtor,
    Invoice,
    Opening,
)


def case_invoice(invoice: Invoice, today: date) -> CaseInvoice:
    """An invoice as it joins a case: its principal is what is open of it now."""
    assert invoice.invoice_date is not None and invoice.due_date is not None
    return CaseInvoice(
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        amount=invoice.amount,
        principal=invoice.open_amount,
        pdf_url=invoice.pdf_url,
        added_on=today,
        legal_letter_sent_on=invoice.legal_letter_sent_on,
    )


def why_approval(
    settings: AdministrationSettings, credit_notes: Sequence[CreditNote]
) -> str | None:
    """Why a new case waits for a user, or None when it opens by itself."""
    unmatched = [c for c in credit_notes if c.unmatched]
    if unmatched:
        return (
            "the debtor has an unmatched credit note: check whether it is meant for these "
            "invoices before opening the case"
        )
    if settings.opening is Opening.APPROVAL:
        return "the administration opens cases after approval"
    return None


@dataclass(frozen=True)
class Placement:
    """Where a ready invoice went: the case (new or existing) as it is now."""

    case: Case
    created: bool


def place_ready_invoice(
    administration_id: str,
    invoice: Invoice,
    debtor: Debtor,
    cases: Sequence[Case],
    settings: AdministrationSettings,
    credit_notes: Sequence[CreditNote],
    today: date,
    new_case_id: str,
) -> Placement | None:
    """Put an invoice that became ready in its debtor's case, or start one. None when there
    is nothing to collect (settled, nothing open, or already in an active case)."""
    if not invoice.imported or invoice.settled or invoice.open_amount <= 0:
        return None
    for case in cases:
        if invoice.invoice_id in case.invoice_ids and case.active:
            return None
    for case in cases:
        if case.currency == invoice.currency and can_take_invoices(case):
            return Placement(add_invoices(case, [case_invoice(invoice, today)], today), False)
    started = start_case(
        new_case_id,
        administration_id,
        debtor.debtor_id,
        debtor.consumer,
        [case_invoice(invoice, today)],
        invoice.currency,
        today,
        proposed_because=why_approval(settings, credit_notes),
    )
    return Placement(started, True)


def open_by_hand(
    administration_id: str,
    invoices: Sequence[Invoice],
    debtor_of: dict[str, Debtor],
    active: Sequence[Case],
    today: date,
    new_case_id: str,
) -> Case:
    """A user opens a case for chosen invoices: all of one debtor and one currency, open,
    and in no active case."""
    if not invoices:
        raise InvalidCase("choose at least one invoice")
    debtors = sorted({i.debtor_id for i in invoices})
    if len(debtors) > 1:
        raise InvalidCase(
            f"a case is for one debtor's invoices; these belong to {len(debtors)} debtors "
            f"({', '.join(debtors)})"
        )
    currencies = sorted({i.currency for i in invoices})
    if len(currencies) > 1:
        raise InvalidCase(f"a case is in one currency, not {', '.join(currencies)}")
    closed = [i.number for i in invoices if not i.imported or i.settled or i.open_amount <= 0]
    if closed:
        raise InvalidCase(f"invoice {', '.join(closed)} has nothing open")
    held = {i for case in active if case.active for i in case.invoice_ids}
    taken = [i.number for i in invoices if i.invoice_id in held]
    if taken:
        raise InvalidCase(f"invoice {', '.join(taken)} is in a case already")
    debtor = debtor_of[debtors[0]]
    return start_case(
        new_case_id,
        administration_id,
        debtor.debtor_id,
        debtor.consumer,
        [case_invoice(i, today) for i in invoices],
        currencies[0],
        today,
        proposed_because=None,
        how="by_hand",
    )
