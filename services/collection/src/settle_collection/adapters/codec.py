"""Domain values to the JSON the tables keep, and back: a case's invoices and entries, and an
administration's settings. Money as decimal strings, dates ISO 8601; a field left out is its
default, so older rows stay readable when a field is added."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from settle_collection.domain.cases import CaseInvoice, Entry, EntryKind, PaymentSource, Step
from settle_collection.domain.parties import (
    Address,
    AdministrationSettings,
    BusinessCosts,
    Creditor,
    Forwarding,
    Opening,
)
from settle_law.allocation import AllocationOrder, Part


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _money(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def invoice_json(invoice: CaseInvoice) -> dict[str, Any]:
    return {
        "invoice_id": invoice.invoice_id,
        "number": invoice.number,
        "invoice_date": invoice.invoice_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "amount": str(invoice.amount),
        "principal": str(invoice.principal),
        "pdf_url": invoice.pdf_url,
        "added_on": invoice.added_on.isoformat(),
        "legal_letter_sent_on": invoice.legal_letter_sent_on.isoformat()
        if invoice.legal_letter_sent_on
        else None,
    }


def invoice_of(data: dict[str, Any]) -> CaseInvoice:
    return CaseInvoice(
        invoice_id=data["invoice_id"],
        number=data["number"],
        invoice_date=date.fromisoformat(data["invoice_date"]),
        due_date=date.fromisoformat(data["due_date"]),
        amount=Decimal(data["amount"]),
        principal=Decimal(data["principal"]),
        pdf_url=data.get("pdf_url"),
        added_on=date.fromisoformat(data["added_on"]),
        legal_letter_sent_on=_date(data.get("legal_letter_sent_on")),
    )


def entry_json(entry: Entry) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": entry.kind.value, "on": entry.on.isoformat()}
    for name in ("amount", "vat"):
        value = getattr(entry, name)
        if value is not None:
            data[name] = str(value)
    for name in ("part", "source", "order", "step"):
        value = getattr(entry, name)
        if value is not None:
            data[name] = value.value
    for name in ("reason", "payment_id", "reference", "detail"):
        value = getattr(entry, name)
        if value is not None:
            data[name] = value
    if entry.everything:
        data["everything"] = True
    return data


def entry_of(data: dict[str, Any]) -> Entry:
    return Entry(
        kind=EntryKind(data["kind"]),
        on=date.fromisoformat(data["on"]),
        amount=_money(data.get("amount")),
        vat=_money(data.get("vat")),
        part=Part(data["part"]) if "part" in data else None,
        reason=data.get("reason"),
        payment_id=data.get("payment_id"),
        source=PaymentSource(data["source"]) if "source" in data else None,
        order=AllocationOrder(data["order"]) if "order" in data else None,
        step=Step(data["step"]) if "step" in data else None,
        reference=data.get("reference"),
        detail=data.get("detail"),
        everything=bool(data.get("everything", False)),
    )


def settings_json(settings: AdministrationSettings) -> dict[str, Any]:
    data = asdict(settings)
    data["opening"] = settings.opening.value
    data["forwarding"] = settings.forwarding.value
    data["business_costs"] = settings.business_costs.value
    data["contractual_rate"] = (
        str(settings.contractual_rate) if settings.contractual_rate is not None else None
    )
    data["contractual_minimum"] = str(settings.contractual_minimum)
    creditor = data["creditor"]
    if creditor.get("address") is not None:
        creditor["address"]["lines"] = list(creditor["address"]["lines"])
    return data


def settings_of(data: dict[str, Any]) -> AdministrationSettings:
    creditor = dict(data.get("creditor") or {})
    address = creditor.pop("address", None)
    return AdministrationSettings(
        opening=Opening(data.get("opening", Opening.APPROVAL.value)),
        costs_vat=bool(data.get("costs_vat", False)),
        business_costs=BusinessCosts(data.get("business_costs", BusinessCosts.WIK.value)),
        contractual_rate=_money(data.get("contractual_rate")),
        contractual_minimum=Decimal(data.get("contractual_minimum", "0.00")),
        close_when_principal_paid=bool(data.get("close_when_principal_paid", False)),
        partner_id=data.get("partner_id"),
        partner_email=data.get("partner_email"),
        forwarding=Forwarding(data.get("forwarding", Forwarding.APPROVAL.value)),
        step_days=int(data.get("step_days", 14)),
        letter_delivery_days=int(data.get("letter_delivery_days", 2)),
        creditor=Creditor(
            **creditor,
            address=Address(
                lines=tuple(address.get("lines", ())),
                postal_code=address.get("postal_code"),
                city=address.get("city"),
                country=address.get("country"),
            )
            if address
            else None,
        ),
    )
