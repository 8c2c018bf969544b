"""Judicial collection partners (bailiffs) and what they report.

The registry of partners with a direct integration is data (adapters read it from
`data/partners.json`): a partner's name, logo, website and what it accepts. An administration
picks one, or "own partner", whose dossier goes by email. A direct partner receives the
handoff on `collection.handoffs.v1` and reports on `collection.partner-updates.v1`; the case
follows its reports here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from settle_collection.domain.cases import (
    Case,
    Entry,
    EntryKind,
    Outcome,
    PaymentSource,
    Status,
    Step,
    close,
    require_open,
)
from settle_collection.domain.charges import receive_payment
from settle_collection.domain.errors import NotAllowed, PartnerUpdateRefused
from settle_collection.domain.parties import OWN_PARTNER


@dataclass(frozen=True)
class Partner:
    """A judicial collection partner with a direct integration, as the registry lists it."""

    partner_id: str
    name: str
    website: str
    logo_url: str
    description: str
    accepts_business: bool = True
    accepts_consumer: bool = True
    countries: tuple[str, ...] = ("NL",)
    minimum_principal: Decimal = Decimal("0.00")

    def refuses(self, case: Case, country: str | None) -> str | None:
        """Why this partner does not take the case, or None when it does."""
        if case.consumer and not self.accepts_consumer:
            return f"{self.name} takes no claims on consumers"
        if not case.consumer and not self.accepts_business:
            return f"{self.name} takes no claims on businesses"
        if country is not None and self.countries and country not in self.countries:
            return f"{self.name} collects in {', '.join(self.countries)}, not in {country}"
        if case.principal < self.minimum_principal:
            return f"{self.name} takes claims from {case.currency} {self.minimum_principal}"
        return None


def own_partner_chosen(partner_id: str | None) -> bool:
    """The administration sends its cases to a bailiff of its own, by email."""
    return partner_id == OWN_PARTNER


def forward(case: Case, partner_id: str, handoff_id: str, today: date) -> Case:
    """Hand the case to its partner: from its own steps to pre-court (the partner collects
    out of court first). Forwarding twice is refused."""
    require_open(case, "be forwarded")
    if case.step.with_partner:
        raise NotAllowed(f"case {case.case_id} is with {case.partner_id} already")
    if case.paused:
        raise NotAllowed(f"case {case.case_id} is paused: resume it before forwarding it")
    return case.with_entry(
        Entry(EntryKind.FORWARDED, today, reference=handoff_id, detail=partner_id),
        step=Step.PRE_COURT,
        step_on=today,
        partner_id=partner_id,
        handoff_id=handoff_id,
        partner_sequence=0,
        partner_status="sent",
    )


@dataclass(frozen=True)
class Report:
    """A partner's report, as the rules need it."""

    update_id: str
    administration_id: str
    case_id: str
    handoff_id: str
    partner_id: str
    sequence: int
    kind: str
    on: date
    reason: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    outcome: str | None = None


def check_report(case: Case | None, report: Report) -> Case:
    """Refuse a report about a case this partner does not hold: unknown, another
    administration's, another partner's, another handoff's, or one that cannot be true."""
    if case is None:
        raise PartnerUpdateRefused(f"no case {report.case_id!r}")
    if case.administration_id != report.administration_id:
        raise PartnerUpdateRefused(
            f"case {report.case_id!r} is not a case of administration {report.administration_id!r}"
        )
    if case.partner_id != report.partner_id or case.handoff_id != report.handoff_id:
        raise PartnerUpdateRefused(
            f"case {report.case_id!r} was not handed to {report.partner_id!r} as "
            f"{report.handoff_id!r}"
        )
    if report.kind == "payment_received":
        if report.amount is None or report.currency != case.currency:
            raise PartnerUpdateRefused(
                f"a payment report needs an amount in {case.currency} (got {report.amount} "
                f"{report.currency})"
            )
    if report.kind == "rejected" and not report.reason:
        raise PartnerUpdateRefused("a rejection needs a reason")
    if report.kind == "closed" and report.outcome not in ("paid", "uncollectable", "withdrawn"):
        raise PartnerUpdateRefused(
            "a closing report needs an outcome: paid, uncollectable, withdrawn"
        )
    return case


def apply_report(case: Case, report: Report) -> Case:
    """Follow a partner's report. A report older than one already applied (its sequence) or
    about a case that is no longer with the partner changes nothing."""
    if report.sequence <= case.partner_sequence or case.status is not Status.OPEN:
        return case
    if not case.step.with_partner:
        return case
    detail = report.reason
    entry = Entry(
        EntryKind.PARTNER_UPDATE,
        report.on,
        reference=report.update_id,
        detail=report.kind,
        reason=detail,
        amount=report.amount,
    )
    case = case.with_entry(entry, partner_sequence=report.sequence)
    if report.kind == "accepted":
        return replace(case, partner_status="accepted")
    if report.kind == "rejected":
        # Back to its last own step: the user chooses another partner or closes it.
        return replace(
            case,
            step=Step.READY_FOR_BAILIFF,
            step_on=report.on,
            partner_status="rejected",
            partner_id=None,
            handoff_id=None,
        )
    if report.kind == "payment_received":
        assert report.amount is not None
        return receive_payment(
            case,
            f"partner-{report.update_id}",
            report.amount,
            PaymentSource.PARTNER,
            report.on,
            detail=f"received by {report.partner_id}",
        )
    if report.kind == "proceedings_started":
        return replace(case, step=Step.WITH_BAILIFF, step_on=report.on)
    if report.kind == "closed":
        outcome = Outcome(report.outcome or "uncollectable")
        return close(replace(case, partner_status="closed"), outcome, report.on, detail)
    return case
