"""Refusals of the dunning domain, one exception per kind.

The service layer maps each kind to an HTTP status or a dead-letter in one place; the
domain only says what was refused and why, in words a user can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


class DunningError(Exception):
    """Base of every refusal raised by the dunning domain."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of a submitted flow, addressed like `steps[2].channels[0]`."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidFlow(DunningError):
    """A flow definition breaks one or more rules; `errors` lists every problem found."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("invalid flow: " + "; ".join(str(e) for e in self.errors))


class NoMatchingFlow(DunningError):
    """No flow of the administration applies to an invoice."""

    def __init__(self, payment_condition: str | None, debtor_type: str) -> None:
        self.payment_condition = payment_condition
        self.debtor_type = debtor_type
        super().__init__(
            f"no flow applies to payment condition {payment_condition!r} "
            f"and debtor type {debtor_type}; add a flow without a selection as the fallback"
        )


class BusinessDateBeforeLastRun(DunningError):
    """A daily run was asked for a date before the last run: the past is not re-run."""

    def __init__(self, business_date: date, last_run_date: date) -> None:
        self.business_date = business_date
        self.last_run_date = last_run_date
        super().__init__(
            f"business date {business_date.isoformat()} is before the last run "
            f"({last_run_date.isoformat()}), and a day is never run again after a later one: "
            f"run {last_run_date.isoformat()} again or a later date (the daily run may already "
            "have run today; move the business clock forward to see later reminders)"
        )


class InvoiceAlreadySettled(DunningError):
    """An action that only makes sense for an open invoice was asked for a settled one."""

    def __init__(self, invoice_id: str, action: str) -> None:
        self.invoice_id = invoice_id
        self.action = action
        super().__init__(f"invoice {invoice_id} is settled; cannot {action}")


class NoStepPlanned(DunningError):
    """A manual step action was asked while nothing is planned (flow finished or stopped)."""

    def __init__(self, invoice_id: str, action: str) -> None:
        self.invoice_id = invoice_id
        self.action = action
        super().__init__(f"invoice {invoice_id} has no planned step; cannot {action}")


class StepCannotBeSkipped(DunningError):
    """A legally required step (the consumer's 14-day letter) may not be skipped."""

    def __init__(self, invoice_id: str, step_id: str) -> None:
        self.invoice_id = invoice_id
        self.step_id = step_id
        super().__init__(
            f"step {step_id!r} of invoice {invoice_id} is legally required and cannot be skipped"
        )


class RescheduleInPast(DunningError):
    """A step was rescheduled to a date before the business date."""

    def __init__(self, requested: date, business_date: date) -> None:
        self.requested = requested
        self.business_date = business_date
        super().__init__(
            f"cannot reschedule to {requested.isoformat()}: "
            f"it is before today's business date {business_date.isoformat()}"
        )


class StepAlreadyExecutedToday(DunningError):
    """Perform-now was asked for an invoice that already had a step on this business date."""

    def __init__(self, invoice_id: str, business_date: date) -> None:
        self.invoice_id = invoice_id
        self.business_date = business_date
        super().__init__(
            f"invoice {invoice_id} already had a step on {business_date.isoformat()}; "
            "one step per invoice per day keeps the debtor from getting two reminders at once"
        )


class InvoicePaused(DunningError):
    """Perform-now was asked while the invoice, its debtor or its administration is paused."""

    def __init__(self, invoice_id: str, level: str) -> None:
        self.invoice_id = invoice_id
        self.level = level
        super().__init__(f"invoice {invoice_id} is paused at {level} level; resume it first")


class LegalTermNotExpired(DunningError):
    """A step after the consumer's 14-day letter was asked before the 14-day period ended."""

    def __init__(self, invoice_id: str, term_ends_on: date | None) -> None:
        self.invoice_id = invoice_id
        self.term_ends_on = term_ends_on
        if term_ends_on is None:
            detail = "the 14-day letter has not been sent to this consumer"
        else:
            detail = f"the 14-day period runs until {term_ends_on.isoformat()}"
        super().__init__(f"invoice {invoice_id} cannot move towards collection yet: {detail}")


class FlowMismatch(DunningError):
    """A flow was passed that is not the flow the invoice's dunning state runs on."""

    def __init__(self, invoice_id: str, expected: str, got: str) -> None:
        super().__init__(f"invoice {invoice_id} runs on flow {expected!r}, not {got!r}")


class InvoiceInCollection(DunningError):
    """A dunning action was asked for an invoice that a collection case now owns."""

    def __init__(self, invoice_id: str, action: str) -> None:
        self.invoice_id = invoice_id
        self.action = action
        super().__init__(f"invoice {invoice_id} is in a collection case; cannot {action}")


class DebtorUnreachable(DunningError):
    """Perform-now was asked for a step none of whose channels can reach the debtor."""

    def __init__(
        self,
        invoice_id: str,
        step_id: str,
        why: str = "no email address or phone number for its channels",
    ) -> None:
        self.invoice_id = invoice_id
        self.step_id = step_id
        super().__init__(f"step {step_id!r} of invoice {invoice_id} cannot reach the debtor: {why}")


class NotFound(DunningError):
    """Something addressed by id does not exist in the administration."""

    def __init__(self, kind: str, identifier: str) -> None:
        self.kind = kind
        self.identifier = identifier
        super().__init__(f"unknown {kind} {identifier!r}")


class UnknownAdministration(NotFound):
    """An administration the gateway has not announced: nothing is set up or run for it."""

    def __init__(self, administration_id: str) -> None:
        DunningError.__init__(
            self,
            f"unknown administration {administration_id!r}: administrations are created in the "
            "gateway (`settle gateway administration-create --administration "
            f"{administration_id} --name NAME --organisation ORGANISATION`, or POST "
            "/api/v1/administrations), and dunning knows one moments later",
        )
        self.kind = "administration"
        self.identifier = administration_id


class FlowExists(DunningError):
    """A flow with this id already exists."""

    def __init__(self, flow_id: str) -> None:
        super().__init__(f"flow {flow_id!r} already exists; replace it with PUT")


class FlowInUse(DunningError):
    """A flow cannot be deleted while open invoices run on it, nor the last flow at all."""

    def __init__(self, flow_id: str, why: str) -> None:
        super().__init__(f"flow {flow_id!r} cannot be deleted: {why}")


class InvalidFact(DunningError):
    """A fact from another service that can never be applied (it goes to the dead-letter
    topic): an unknown invoice, an impossible amount, a header that contradicts the payload."""


class InvalidPlan(DunningError):
    """A payment plan's terms break one or more rules; `errors` lists every problem found,
    each addressed like a field of the request (`instalments`, `custom[1].amount`)."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("invalid payment plan: " + "; ".join(str(e) for e in self.errors))


class InvalidPlanOffers(DunningError):
    """An administration's plan offers break one or more rules; `errors` lists every problem,
    each addressed like a field of the request (`offers[1].max_open_amount`)."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("invalid payment plan offers: " + "; ".join(str(e) for e in self.errors))


class PlanRefused(DunningError):
    """A payment plan cannot cover these invoices, or cannot do this now; the sentence says
    why and what to do."""

    code = "plan_refused"

    def __init__(self, message: str, code: str | None = None) -> None:
        if code is not None:
            self.code = code
        super().__init__(message)


class InvoiceInPaymentPlan(DunningError):
    """A step action was asked for an invoice a payment plan holds."""

    def __init__(self, invoice_id: str, plan_id: str, action: str) -> None:
        self.invoice_id = invoice_id
        self.plan_id = plan_id
        super().__init__(
            f"invoice {invoice_id} is in payment plan {plan_id}; cannot {action}. End the plan "
            "first: its reminders then resume from that day"
        )


class NotResolvedByHand(DunningError):
    """A person asked to resolve an attention item that resolves itself when its cause goes."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"an item about {reason.replace('_', ' ')} is resolved when its cause goes away, "
            "not by hand; its sentence says what to do"
        )


class CreditNotesCoverReminder(DunningError):
    """A reminder was asked for while the debtor's open credit notes cover all it would ask."""

    def __init__(self, invoice_id: str, currency: str, amount_due: Decimal) -> None:
        self.invoice_id = invoice_id
        super().__init__(
            f"the debtor's open credit notes cover invoice {invoice_id}: the reminder would ask "
            f"for {currency} {amount_due}; match the credit notes in the bookkeeping first"
        )
