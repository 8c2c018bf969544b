"""Test data for the dunning domain: small builders with sensible defaults."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count

from settle_dunning.domain import (
    Administration,
    Bundling,
    Channel,
    CreditNote,
    DailyRunResult,
    Debtor,
    DebtorType,
    DunningState,
    FactVersion,
    Flow,
    FlowSelection,
    Invoice,
    OffsetBasis,
    Phase,
    SendingCalendar,
    Step,
    default_flows,
    due_steps,
    new_dunning_state,
    plan_next_step,
    run_daily,
)
from settle_dunning.domain.phases import READY_FOR_COLLECTION, SENT, reminder

# 2025-03-03 is a Monday; with the default flow the reminders fall on 10 March, 24 March and
# 7 April (all Mondays), and ready-for-collection runs into Easter Monday (21 April).
DUE = date(2025, 3, 3)
TEMPLATES = frozenset(
    {
        "invoice",
        "pre_reminder",
        "friendly_reminder",
        "second_reminder",
        "final_reminder",
        "fourteen_day_letter",
        "call",
    }
)

_ids = count(1)


def business_flow() -> Flow:
    """The default flow for businesses."""
    return default_flows("NL")[0]


def consumer_flow() -> Flow:
    """The default flow for consumers (with the 14-day letter)."""
    return default_flows("NL")[1]


def step(
    step_id: str,
    offset: int,
    phase: Phase,
    *,
    channels: tuple[Channel, ...] = (Channel.EMAIL,),
    template: str = "friendly_reminder",
    after_previous: bool = False,
    minimum: str = "0",
    legally_required: bool = False,
) -> Step:
    """A step with email as its channel unless told otherwise."""
    return Step(
        id=step_id,
        offset_days=offset,
        offset_from=OffsetBasis.PREVIOUS_STEP if after_previous else OffsetBasis.DUE_DATE,
        channels=channels,
        template_key=template if channels else "",
        target_phase=phase,
        minimum_open_amount=Decimal(minimum),
        legally_required=legally_required,
    )


def flow(
    *steps: Step,
    flow_id: str = "custom",
    b2b_only: bool = True,
    calendar: SendingCalendar | None = None,
    bundling: Bundling | None = None,
) -> Flow:
    """A flow of `steps`, restricted to businesses so no 14-day letter is needed."""
    return Flow(
        id=flow_id,
        name="Custom",
        steps=steps,
        selection=FlowSelection(debtor_types=frozenset({DebtorType.B2B}))
        if b2b_only
        else FlowSelection(),
        calendar=calendar or SendingCalendar(),
        bundling=bundling or Bundling(),
    )


def sent_and_reminders() -> Flow:
    """An "invoice sent" step on the invoice date, then two reminders and collection."""
    return flow(
        step("invoice", -14, SENT, template="invoice"),
        step("reminder-1", 7, reminder(1)),
        step("reminder-2", 14, reminder(2), after_previous=True, template="second_reminder"),
        step("collect", 15, READY_FOR_COLLECTION, channels=(), after_previous=True),
    )


def invoice(
    *,
    invoice_id: str | None = None,
    debtor_id: str = "debtor-1",
    due: date = DUE,
    amount: str = "121.00",
    open_amount: str | None = None,
    currency: str = "EUR",
    payment_condition: str | None = "30",
) -> Invoice:
    """An open invoice of `debtor_id`, due on 3 March 2025 unless told otherwise."""
    number = next(_ids)
    return Invoice(
        id=invoice_id or f"inv-{number}",
        number=f"2025-{number:04d}",
        debtor_id=debtor_id,
        invoice_date=date(due.year, due.month, 1) if due.day > 14 else due.replace(day=1),
        due_date=due,
        amount=Decimal(amount),
        open_amount=Decimal(open_amount if open_amount is not None else amount),
        currency=currency,
        payment_condition=payment_condition,
    )


def debtor(
    debtor_id: str = "debtor-1",
    *,
    debtor_type: DebtorType = DebtorType.B2B,
    emails: tuple[str, ...] = ("ap@example.nl",),
    **changes: object,
) -> Debtor:
    """A business debtor with an email address."""
    base = Debtor(
        id=debtor_id,
        number=f"D-{debtor_id}",
        name=f"Debtor {debtor_id}",
        debtor_type=debtor_type,
        emails=emails,
        phone="+31201234567",
        language="nl",
    )
    return replace(base, **changes)


def administration(**changes: object) -> Administration:
    """An active administration with Dutch as its language."""
    return replace(Administration(id="adm-1"), **changes)


def planned_state(inv: Invoice, on_flow: Flow) -> DunningState:
    """A fresh dunning state for `inv` with its first step planned."""
    return plan_next_step(new_dunning_state(inv, on_flow.id), on_flow)


def version(day: int, sequence: int = 0) -> FactVersion:
    """A fact version on day `day` of March 2025."""
    return FactVersion(datetime(2025, 3, day, 12, 0, tzinfo=UTC), sequence)


def run(
    states: list[DunningState],
    on: date,
    *,
    flows: list[Flow] | None = None,
    debtors: list[Debtor] | None = None,
    admin: Administration | None = None,
    last_run: date | None = None,
    credit_notes: list[CreditNote] | None = None,
) -> DailyRunResult:
    """Run the day over `states` with the default flows and `debtor()` unless told otherwise."""
    all_flows = flows or list(default_flows("NL"))
    all_debtors = debtors or [debtor()]
    by_debtor: dict[str, list[CreditNote]] = {}
    for note in credit_notes or []:
        by_debtor.setdefault(note.debtor_id, []).append(note)
    return run_daily(
        on,
        last_run_date=last_run,
        administration=admin or administration(),
        flows={f.id: f for f in all_flows},
        debtors={d.id: d for d in all_debtors},
        states=due_steps(states, on),
        credit_notes=by_debtor,
    )


def credit_note(
    amount: str,
    *,
    open_amount: str | None = None,
    currency: str = "EUR",
    debtor_id: str = "debtor-1",
    number: str = "CN-1",
    corrects: str | None = None,
) -> CreditNote:
    """An open credit note of `debtor_id` (amounts negative)."""
    return CreditNote(
        id=f"cn-{number}",
        debtor_id=debtor_id,
        number=number,
        amount=Decimal(amount),
        open_amount=Decimal(open_amount if open_amount is not None else amount),
        currency=currency,
        version=1,
        invoice_date=date(2025, 2, 20),
        corrects_invoice_number=corrects,
    )


def states_after(result: DailyRunResult, before: list[DunningState]) -> list[DunningState]:
    """`before` with every state the run changed replaced by its new version."""
    changed = {s.invoice_id: s for s in result.states}
    return [changed.get(s.invoice_id, s) for s in before]
