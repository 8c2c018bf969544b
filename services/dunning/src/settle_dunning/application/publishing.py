"""The events a use case publishes, built from domain results and staged in the outbox in
the same transaction as the state change they describe."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.domain import (
    TYPE_TO_KIND,
    AttentionAction,
    AttentionChange,
    DunningState,
    MessageRequest,
)
from settle_dunning.domain import PhaseChanged as PhaseChange
from settle_dunning.domain import ReadyForCollection as ReadyFact
from settle_dunning.domain import StepExecuted as ExecutedFact
from settle_dunning.domain.delivery import FailedStep
from settle_dunning.domain.messages import PlanMessage
from settle_dunning.domain.plans import PaymentPlan
from settle_law.wik import collection_costs
from settle_shared.envelope import Envelope
from settle_shared.events import dunning as events
from settle_shared.events import plans
from settle_shared.events.base import Event
from settle_shared.outbox import Outbox

M = TypeVar("M", bound=BaseModel)

_set = object.__setattr__


def built(model: type[M], **values: Any) -> M:
    """A model from values that are valid already, without validating them again.

    What `model_construct` does, without its per-field walk for defaults and aliases: with
    every field given, the values become the instance's fields as they are. Anything else
    (a field left out) goes through `model_construct`.
    """
    if values.keys() != model.model_fields.keys():
        return model.model_construct(**values)
    instance = model.__new__(model)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", set(values))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


def _planning(state: DunningState) -> tuple[Any, ...]:
    planned = state.next_step
    return (
        planned,
        state.phase,
        state.on_hold,
        state.blocked_by,
        state.settled,
        state.flow_id,
        state.plan_hold,
    )


def _plan_in_message(plan: PlanMessage | None) -> events.MessagePaymentPlan | None:
    if plan is None:
        return None
    return events.MessagePaymentPlan(
        plan_id=plan.plan_id,
        total=plan.total,
        left=plan.left,
        currency=plan.currency,
        instalments=[
            events.MessagePlanInstalment(
                number=i.number, due_on=i.due_on, amount=i.amount, paid_amount=i.paid_amount
            )
            for i in plan.instalments
        ],
        instalment=plan.instalment,
    )


def planning_changed(before: DunningState | None, after: DunningState) -> bool:
    """True when what a reader of the plan sees (next step, phase, hold, block) changed."""
    return before is None or _planning(before) != _planning(after)


class OutgoingEvents:
    """The events one use case publishes for one administration, staged in the outbox by
    `write` in the use case's transaction.

    The events of a daily-run step are built without validation (`built`): their values come
    from typed domain objects (docs/dunning.md, "Performance"). The service tests read every
    staged event back through its model.
    """

    def __init__(self, administration_id: str) -> None:
        self.administration_id = administration_id
        self.events: list[Event] = []

    def step_planned(self, state: DunningState) -> None:
        """The invoice's plan as it stands now."""
        planned = state.next_step
        self.events.append(
            events.StepPlanned(
                administration_id=self.administration_id,
                invoice_id=state.invoice_id,
                debtor_id=state.invoice.debtor_id,
                flow_id=state.flow_id,
                step_id=planned.step_id if planned else None,
                planned_on=planned.planned_on if planned else None,
                basis=planned.basis.value if planned else None,
                phase=state.phase.code,
                on_hold=state.on_hold,
                blocked_by=state.waits_for,
                settled=state.settled,
            )
        )

    def replanned(self, before: DunningState | None, after: DunningState) -> None:
        """Publish the plan when it changed."""
        if planning_changed(before, after):
            self.step_planned(after)

    def step_executed(self, fact: ExecutedFact, after: DunningState) -> None:
        """A step ran; `after` is the state with the next step planned."""
        step, planned = fact.step, after.next_step
        self.events.append(
            built(
                events.StepExecuted,
                administration_id=self.administration_id,
                invoice_id=fact.invoice_id,
                debtor_id=fact.debtor_id,
                flow_id=fact.flow_id,
                step_id=step.step_id,
                executed_on=step.executed_on,
                reason=step.reason.value,
                channels=[c.value for c in step.channels],
                phase=step.phase.code,
                cycle=step.cycle,
                legally_required=step.legally_required,
                message_request_id=step.message_request_id,
                next_step_id=planned.step_id if planned else None,
                next_step_on=planned.planned_on if planned else None,
            )
        )

    def step_failed(self, fact: FailedStep, after: DunningState) -> None:
        """A step's message reached the debtor on no channel; `after` is the state with the
        phase and plan that follow from it."""
        step = fact.step
        assert step.failure is not None and step.message_request_id is not None
        self.events.append(
            events.StepFailed(
                administration_id=self.administration_id,
                invoice_id=fact.invoice_id,
                debtor_id=fact.debtor_id,
                flow_id=fact.flow_id,
                step_id=step.step_id,
                executed_on=step.executed_on,
                cycle=step.cycle,
                message_request_id=step.message_request_id,
                failed_on=step.failure.failed_on,
                channels=[c.value for c in step.failed_channels if c.reaches_debtor],
                reason=step.failure.reason,
                detail=step.failure.detail,
                phase=after.phase.code,
            )
        )

    def phase_changed(self, change: PhaseChange, after: DunningState) -> None:
        """The invoice moved into another phase (back only when its step failed or on a
        reset)."""
        self.events.append(
            built(
                events.PhaseChanged,
                administration_id=self.administration_id,
                invoice_id=change.invoice_id,
                debtor_id=change.debtor_id,
                previous_phase=change.previous.code,
                phase=change.phase.code,
                on=change.on,
                open_amount=after.invoice.open_amount,
                currency=after.invoice.currency,
            )
        )

    def ready_for_collection(self, fact: ReadyFact) -> None:
        """The invoice finished its flow."""
        self.events.append(
            events.InvoiceReadyForCollection(
                administration_id=self.administration_id,
                invoice_id=fact.invoice_id,
                debtor_id=fact.debtor_id,
                flow_id=fact.flow_id,
                open_amount=fact.open_amount,
                currency=fact.currency,
                on=fact.on,
                legal_letter_sent_on=fact.legal_letter_sent_on,
            )
        )

    def message_requested(self, request: MessageRequest) -> None:
        """Ask messaging to send a reminder."""
        recipient = request.recipient
        address = recipient.address
        self.events.append(
            built(
                events.MessageRequested,
                message_request_id=request.id,
                administration_id=request.administration_id,
                flow_id=request.flow_id,
                business_date=request.business_date,
                debtor=built(
                    events.MessageDebtor,
                    debtor_id=recipient.debtor_id,
                    number=recipient.number,
                    name=recipient.name,
                    kind=TYPE_TO_KIND[recipient.debtor_type],
                    emails=list(recipient.emails),
                    phone=recipient.phone,
                    address=built(
                        events.MessageAddress,
                        street=address.street,
                        postal_code=address.postal_code,
                        city=address.city,
                        country=address.country,
                    )
                    if address
                    else None,
                    language=recipient.language,
                    country=recipient.country,
                ),
                invoices=[
                    built(
                        events.MessageInvoice,
                        invoice_id=line.invoice_id,
                        number=line.number,
                        invoice_date=line.invoice_date,
                        due_date=line.due_date,
                        amount=line.amount,
                        open_amount=line.open_amount,
                        currency=line.currency,
                        step_id=line.step_id,
                        phase=line.phase.code,
                        legally_required=line.legally_required,
                    )
                    for line in request.invoices
                ],
                total_open_amount=request.total_open_amount,
                currency=request.currency,
                channels=[c.value for c in request.channels],
                template_key=request.template_key,
                tone=request.tone.value,
                language=request.language,
                fallback_language=request.fallback_language,
                phase=request.phase.code,
                legally_required=request.legally_required,
                # The 14-day letter must state the costs that will be charged, on what it asks.
                collection_costs=collection_costs(request.amount_due)
                if request.legally_required
                else None,
                credit_notes=[
                    built(
                        events.MessageCreditNote,
                        credit_note_id=note.credit_note_id,
                        number=note.number,
                        invoice_date=note.invoice_date,
                        amount=note.amount,
                        open_amount=note.open_amount,
                        currency=note.currency,
                        corrects_invoice_number=note.corrects_invoice_number,
                    )
                    for note in request.credit_notes
                ],
                amount_due=request.amount_due,
                payment_plan=_plan_in_message(request.payment_plan),
            )
        )

    def plan_changed(self, plan: PaymentPlan, event_type: type[plans.PaymentPlanEvent]) -> None:
        """The plan as it stands after a change; `event_type` names the change."""
        self.events.append(
            event_type(
                administration_id=self.administration_id,
                plan_id=plan.id,
                version=plan.version,
                debtor_id=plan.debtor_id,
                invoice_ids=list(plan.invoice_ids),
                cases=[
                    plans.PlanCase(
                        case_id=c.case_id,
                        invoice_ids=list(c.invoice_ids),
                        covered_amount=c.covered,
                        open_amount=c.open,
                    )
                    for c in plan.cases
                ],
                status=plan.status.value,
                kind=plan.terms.kind.value,
                proposed_by=plan.proposed_by.value,
                reason=plan.reason,
                currency=plan.currency,
                covered_amount=plan.covered,
                paid_amount=plan.paid_toward_schedule,
                left_amount=plan.left,
                instalments=[
                    plans.PlanInstalment(
                        number=p.instalment.number,
                        due_on=p.instalment.due_on,
                        amount=p.instalment.amount,
                        paid_amount=p.paid_amount,
                        status=p.status,
                    )
                    for p in plan.progress()
                ],
                created_on=plan.created_on,
                started_on=plan.started_on,
                ended_on=plan.ended_on,
            )
        )

    def attention(self, changes: Iterable[AttentionChange]) -> None:
        """Attention items that were raised, updated or resolved (as the repository applied
        them)."""
        for change in changes:
            common: dict[str, Any] = {
                "administration_id": self.administration_id,
                "subject_type": change.subject.value,
                "subject_id": change.subject_id,
                "reason": change.reason.value,
                "sentence": change.sentence,
            }
            if change.action is AttentionAction.RAISE:
                self.events.append(
                    events.AttentionRaised(**common, invoice_ids=list(change.invoice_ids))
                )
            elif change.action is AttentionAction.UPDATE:
                self.events.append(
                    events.AttentionUpdated(**common, invoice_ids=list(change.invoice_ids))
                )
            else:
                self.events.append(events.AttentionResolved(**common))

    def administration_pause(self, mode: str, paused_on: date | None) -> None:
        """The administration was paused or resumed."""
        self.events.append(
            events.AdministrationPauseChanged(
                administration_id=self.administration_id, mode=mode, paused_on=paused_on
            )
        )

    def debtor_language(self, debtor_id: str, language: str | None) -> None:
        """A user chose the language to write to a debtor in."""
        self.events.append(
            events.DebtorLanguageChosen(
                administration_id=self.administration_id, debtor_id=debtor_id, language=language
            )
        )

    def debtor_pause(self, debtor_id: str, mode: str) -> None:
        """A debtor was paused or resumed."""
        self.events.append(
            events.DebtorPauseChanged(
                administration_id=self.administration_id, debtor_id=debtor_id, mode=mode
            )
        )

    async def write(
        self,
        session: AsyncSession,
        outbox: Outbox,
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> int:
        """Stage every event in the session's transaction (one insert); returns how many."""
        envelopes = self.envelopes(outbox, correlation_id=correlation_id, causation_id=causation_id)
        await outbox.add_envelopes(session, envelopes)
        return len(envelopes)

    def envelopes(
        self, outbox: Outbox, *, correlation_id: str | None, causation_id: str | None
    ) -> list[tuple[str, Envelope]]:
        """The events as envelopes for their topics, taken out of this collection: for a
        caller that stages the events of many facts, each with its own cause, at once."""
        envelopes = [
            (
                payload.topic.name,
                outbox.envelope(
                    payload,
                    administration_id=self.administration_id,
                    correlation_id=correlation_id,
                    causation_id=causation_id,
                ),
            )
            for payload in self.events
        ]
        self.events = []
        return envelopes
