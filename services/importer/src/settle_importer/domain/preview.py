"""What a preview of a column mapping shows before anything is imported: the header of an
export, which preset fits it, which of our fields each column feeds, and the first rows as they
would be read, each with what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass, field

from settle_importer.domain.model import ImportedDebtor, ImportedInvoice


@dataclass(frozen=True)
class PresetFit:
    """Whether a preset of column mapping reads a header, and the columns it lacks if not."""

    name: str
    fits: bool
    lacking: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreviewColumn:
    """A column of the header and the field it feeds (None: not read)."""

    title: str
    field: str | None


@dataclass(frozen=True)
class PreviewRow:
    """A row as it would be imported: its fields as text, or why it would be rejected."""

    position: str
    reference: str | None
    fields: dict[str, str | None] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class MappingPreview:
    """The preview of one file read with one mapping (``problem``: why it cannot be)."""

    kind: str
    header: tuple[str, ...]
    presets: tuple[PresetFit, ...]
    preset: str | None
    mapping: dict[str, object]
    columns: tuple[PreviewColumn, ...]
    rows: tuple[PreviewRow, ...]
    problem: str | None = None
    delimiter: str | None = None
    encoding: str | None = None


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def record_fields(invoice: ImportedInvoice, debtor: ImportedDebtor | None) -> dict[str, str | None]:
    """A read record in the fields a column mapping names, as text (dates ISO, amounts with a
    point), so a person checks each column landed where it should."""
    fields: dict[str, str | None] = {
        "invoice_number": invoice.number,
        "debtor_number": invoice.debtor_number,
        "invoice_date": invoice.invoice_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "amount": str(invoice.amount),
        "open_amount": str(invoice.open_amount),
        "currency": invoice.currency,
        "payment_condition": _text(invoice.payment_condition),
        "kind": invoice.kind,
        "pdf_url": _text(invoice.pdf_url),
    }
    if debtor is not None:
        fields.update(
            debtor_name=debtor.name,
            debtor_type=debtor.type,
            debtor_emails=", ".join(debtor.emails) or None,
            debtor_phone=_text(debtor.phone),
            debtor_address_lines=", ".join(debtor.address_lines) or None,
            debtor_postal_code=_text(debtor.postal_code),
            debtor_city=_text(debtor.city),
            debtor_country=_text(debtor.country),
            debtor_language=_text(debtor.language),
        )
    return fields
