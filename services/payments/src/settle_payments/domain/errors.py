"""Every refusal of the payments service, one class per kind; errors.py maps them to HTTP
statuses and dead letters in one place."""

from __future__ import annotations


class PaymentsError(Exception):
    """Base of the payments service's refusals; `code` is stable, the message readable."""

    code = "payments_error"


class NotFound(PaymentsError):
    """Something the request names does not exist here (or not in this administration)."""

    code = "not_found"

    def __init__(self, kind: str, identifier: str) -> None:
        super().__init__(f"no {kind} {identifier!r} in this administration")
        self.kind = kind
        self.identifier = identifier


class UnknownInvoice(NotFound):
    code = "unknown_invoice"

    def __init__(self, invoice_id: str) -> None:
        super().__init__("invoice", invoice_id)


class UnknownDebtor(NotFound):
    code = "unknown_debtor"

    def __init__(self, debtor_id: str) -> None:
        super().__init__("debtor with open invoices", debtor_id)


class NotPayable(PaymentsError):
    """The invoices cannot be paid together now; the sentence says why."""

    code = "not_payable"


class InvoiceNotOpen(NotPayable):
    code = "invoice_not_open"

    def __init__(self, number: str) -> None:
        super().__init__(f"invoice {number} has nothing left to pay")


class InvoiceOfAnotherDebtor(NotPayable):
    code = "invoice_of_another_debtor"

    def __init__(self, number: str) -> None:
        super().__init__(f"invoice {number} is not this debtor's")


class MixedCurrencies(NotPayable):
    code = "mixed_currencies"

    def __init__(self, currencies: set[str]) -> None:
        listed = ", ".join(sorted(currencies))
        super().__init__(f"one payment is in one currency; these invoices are in {listed}")


class NothingToPay(NotPayable):
    code = "nothing_to_pay"

    def __init__(self) -> None:
        super().__init__("there is nothing to pay: choose at least one open invoice")


class AlreadyPaidOnline(NotPayable):
    code = "already_paid_online"

    def __init__(self, number: str) -> None:
        super().__init__(
            f"invoice {number} is already paid online (or the payment is being completed)"
        )


class UnknownPlan(NotFound):
    code = "unknown_plan"

    def __init__(self, plan_id: str) -> None:
        super().__init__("payment plan", plan_id)


class UnknownInstalment(NotFound):
    code = "unknown_instalment"

    def __init__(self, plan_id: str, number: int) -> None:
        super().__init__(f"instalment of payment plan {plan_id}", str(number))


class PlanOfAnotherDebtor(NotPayable):
    code = "plan_of_another_debtor"

    def __init__(self, plan_id: str) -> None:
        super().__init__(f"payment plan {plan_id} is not this debtor's")


class PlanNotActive(NotPayable):
    code = "plan_not_active"

    def __init__(self, plan_id: str, status: str) -> None:
        super().__init__(
            f"payment plan {plan_id} is {status}: its instalments cannot be paid online; "
            "contact the creditor"
        )


class InstalmentPaid(NotPayable):
    code = "instalment_paid"

    def __init__(self, number: int) -> None:
        super().__init__(f"instalment {number} is paid already")


class InstalmentBeingPaid(NotPayable):
    code = "instalment_being_paid"

    def __init__(self, number: int) -> None:
        super().__init__(
            f"a payment of instalment {number} is being completed; wait for its outcome"
        )


class IdempotencyKeyReused(PaymentsError):
    """The same idempotency key came with another request: a client bug, never a retry."""

    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("this idempotency key was used for another payment request")


class PspUnavailable(PaymentsError):
    """The PSP did not answer, or answered with an error of its own: try again later."""

    code = "psp_unavailable"


class PspRefused(PaymentsError):
    """The PSP refused the request (a 4xx): something in our request or account is wrong."""

    code = "psp_refused"


class InvalidFact(PaymentsError):
    """An importer fact that can never be applied (goes to the dead-letter topic)."""

    code = "invalid_fact"
