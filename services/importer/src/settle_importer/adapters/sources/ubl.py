"""UBL 2.1 / Peppol BIS Billing 3.0 ``Invoice`` and ``CreditNote`` documents.

One file, many files, or zip archives of them; each document is one record. XML is parsed with
``defusedxml`` with document type declarations refused outright: no entity expansion (billion
laughs), no external entities or DTDs, so no file or network access from a document.

What is read:

- number: ``cbc:ID``; invoice date: ``cbc:IssueDate``; currency: ``cbc:DocumentCurrencyCode``;
- due date: ``cbc:DueDate``, else the first ``cac:PaymentMeans/cbc:PaymentDueDate``, else the
  payment terms (``cac:PaymentTerms/cbc:Note``, "Payment within 30 days": see
  ``domain.payment_terms``) counted from the issue date. An invoice with none of these is due
  the connection's default payment term after its issue date; the invoice says which it was
  (``due_date_source``) and dunning flags an assumed one for a person. A credit note with
  neither is due on its issue date: it is never chased, only settled against;
- open amount: ``cac:LegalMonetaryTotal/cbc:PayableAmount``; amount: that plus
  ``cbc:PrepaidAmount`` (what was already paid is part of the amount but no longer open);
  a credit note's amounts are made negative (see ``domain.validation``). An ``Invoice`` with a
  negative payable amount is a correction (Peppol allows it, as do many Dutch packages): it is
  read as a credit note;
- the invoice a credit note corrects: ``cac:BillingReference/cac:InvoiceDocumentReference/
  cbc:ID``;
- PDF link: the first ``cac:AdditionalDocumentReference`` attachment with an http(s)
  ``cbc:URI`` that is a PDF (``cbc:MimeCode`` application/pdf or a path ending in ``.pdf``);
  embedded PDFs are not links and are not taken;
- debtor (``cac:AccountingCustomerParty``): number from ``cbc:SupplierAssignedAccountID``, else
  ``cac:PartyIdentification/cbc:ID``, else ``cbc:EndpointID``, else a company or VAT id; name
  from ``cac:PartyName``, else the legal registration name; postal address; contact email and
  telephone. A party with a company id, a VAT id or a legal entity's registration name is a
  business, otherwise a consumer. UBL carries no payment condition code and no language: both
  stay empty (a reminder is then written in the language of the debtor's country where the
  administration has templates in it).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeElementTree

from settle_importer.adapters.sources.archive import ArchiveLimits, archive_members
from settle_importer.adapters.sources.base import files_digest
from settle_importer.domain.model import (
    DueDateSource,
    ImportedDebtor,
    ImportedInvoice,
    InvoiceKind,
    RejectedRecord,
    SourceItem,
    SourceRecord,
)
from settle_importer.domain.payment_terms import due_date_from_terms
from settle_importer.domain.validation import (
    RecordRejected,
    debtor_from_source,
    invoice_from_source,
)

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_NS = {"cbc": CBC, "cac": CAC}
_ROOTS: dict[str, InvoiceKind] = {
    f"{{{INVOICE_NS}}}Invoice": "invoice",
    f"{{{CREDIT_NOTE_NS}}}CreditNote": "credit_note",
}
_XML_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def parse_ubl(content: bytes, position: str) -> SourceRecord | RejectedRecord:
    """Read one UBL document; anything that is not a usable invoice or credit note is rejected."""
    try:
        root = SafeElementTree.fromstring(
            content, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DTDForbidden:
        return RejectedRecord(
            position,
            None,
            "refused: the XML has a document type declaration (DOCTYPE); declarations and "
            "entities are not accepted because they can expand without limit or read files",
        )
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden):
        return RejectedRecord(
            position, None, "refused: the XML declares entities or refers to external files"
        )
    except defusedxml.DefusedXmlException as error:
        return RejectedRecord(position, None, f"refused: unsafe XML ({error})")
    except ParseError as error:
        return RejectedRecord(position, None, f"not well-formed XML: {error}")
    kind = _ROOTS.get(root.tag)
    if kind is None:
        return RejectedRecord(
            position,
            None,
            f"not a UBL Invoice or CreditNote: the document is {_shown_tag(root.tag)}",
        )
    number = _text(root, "cbc:ID")
    try:
        return SourceRecord(position, *_document(root, kind, number))
    except RecordRejected as rejected:
        return RejectedRecord(position, rejected.reference or number or None, rejected.reason)


def _document(
    root: Element, kind: InvoiceKind, number: str
) -> tuple[ImportedInvoice, ImportedDebtor]:
    issue_date = _date(root, "cbc:IssueDate", "issue date (cbc:IssueDate)")
    currency = _text(root, "cbc:DocumentCurrencyCode")
    payable_element = root.find("cac:LegalMonetaryTotal/cbc:PayableAmount", _NS)
    if payable_element is None or not (payable_element.text or "").strip():
        raise RecordRejected("the document has no payable amount (cac:LegalMonetaryTotal)")
    amount_currency = payable_element.get("currencyID", currency)
    if amount_currency != currency:
        raise RecordRejected(
            f"the payable amount is in {amount_currency} but the document in {currency}"
        )
    payable = _decimal(payable_element.text or "", "payable amount")
    prepaid_text = _text(root, "cac:LegalMonetaryTotal/cbc:PrepaidAmount")
    prepaid = _decimal(prepaid_text, "prepaid amount") if prepaid_text else Decimal(0)
    if kind == "invoice" and payable < 0:
        kind = "credit_note"  # a negative invoice corrects an earlier one: a credit
    terms = _payment_terms(root)
    due_text = _text(root, "cbc:DueDate") or _text(root, "cac:PaymentMeans/cbc:PaymentDueDate")
    due_date_source: DueDateSource = "document"
    if due_text:
        due_date = _parse_date(due_text, "due date")
    elif kind == "credit_note":
        due_date = issue_date
    else:
        from_terms = due_date_from_terms(issue_date, terms) if terms else None
        if from_terms is not None:
            due_date, due_date_source = from_terms, "payment_terms"
        else:
            # The run sets it from the connection's default term (``with_default_term``).
            due_date, due_date_source = issue_date, "default_term"
    party = root.find("cac:AccountingCustomerParty", _NS)
    if party is None:
        raise RecordRejected("the document has no customer (cac:AccountingCustomerParty)")
    debtor = _debtor(party)
    invoice = invoice_from_source(
        number=number,
        debtor_number=debtor.number,
        invoice_date=issue_date,
        due_date=due_date,
        amount=payable + prepaid,
        open_amount=payable,
        currency=currency,
        kind=kind,
        pdf_url=_pdf_url(root),
        due_date_source=due_date_source,
        payment_terms=terms or None,
        corrects=(
            _text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")
            if kind == "credit_note"
            else None
        ),
    )
    return invoice, debtor


def _payment_terms(root: Element) -> str:
    # Peppol allows one PaymentTerms with one note; UBL itself allows more: they are one text.
    notes = (note.text or "" for note in root.iterfind("cac:PaymentTerms/cbc:Note", _NS))
    return " ".join(" ".join(notes).split())


def _debtor(customer: Element) -> ImportedDebtor:
    party = customer.find("cac:Party", _NS)
    if party is None:
        raise RecordRejected("the customer has no party details (cac:Party)")
    company_id = _text(party, "cac:PartyLegalEntity/cbc:CompanyID")
    vat_id = _text(party, "cac:PartyTaxScheme/cbc:CompanyID")
    number = (
        _text(customer, "cbc:SupplierAssignedAccountID")
        or _text(party, "cac:PartyIdentification/cbc:ID")
        or _text(party, "cbc:EndpointID")
        or company_id
        or vat_id
    )
    if not number:
        raise RecordRejected("the customer has no identification, endpoint, company or VAT id")
    registration_name = _text(party, "cac:PartyLegalEntity/cbc:RegistrationName")
    name = _text(party, "cac:PartyName/cbc:Name") or registration_name
    address = party.find("cac:PostalAddress", _NS)
    lines: list[str] = []
    postal_code = city = country = None
    if address is not None:
        lines = [
            _text(address, "cbc:StreetName"),
            _text(address, "cbc:AdditionalStreetName"),
            *((line.text or "") for line in address.findall("cac:AddressLine/cbc:Line", _NS)),
        ]
        postal_code = _text(address, "cbc:PostalZone")
        city = _text(address, "cbc:CityName")
        country = _text(address, "cac:Country/cbc:IdentificationCode")
    email = _text(party, "cac:Contact/cbc:ElectronicMail")
    return debtor_from_source(
        number=number,
        name=name,
        type="business" if company_id or vat_id or registration_name else "consumer",
        emails=[email] if email else [],
        phone=_text(party, "cac:Contact/cbc:Telephone"),
        address_lines=lines,
        postal_code=postal_code,
        city=city,
        country=country,
    )


def _pdf_url(root: Element) -> str | None:
    # Attachments may be anything (a technical specification, a timesheet); only a link that
    # says it is a PDF is taken as the invoice's PDF.
    for reference in root.iterfind(
        "cac:AdditionalDocumentReference/cac:Attachment/cac:ExternalReference", _NS
    ):
        uri = _text(reference, "cbc:URI")
        if not uri.lower().startswith(("https://", "http://")):
            continue
        is_pdf = _text(reference, "cbc:MimeCode").lower() == "application/pdf"
        if is_pdf or uri.lower().split("?", 1)[0].endswith(".pdf"):
            return uri
    return None


def _text(element: Element, path: str) -> str:
    found = element.find(path, _NS)
    return "" if found is None else (found.text or "").strip()


def _date(root: Element, path: str, what: str) -> date:
    text = _text(root, path)
    if not text:
        raise RecordRejected(f"the document has no {what}")
    return _parse_date(text, what)


def _parse_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise RecordRejected(f"{what} '{text}' is not a date (yyyy-mm-dd)") from None


def _decimal(text: str, what: str) -> Decimal:
    text = text.strip()
    if not _XML_DECIMAL.match(text):
        raise RecordRejected(f"{what} '{text}' is not a number")
    return Decimal(text)


def _shown_tag(tag: str) -> str:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return f"'{local}' in namespace {namespace}"
    return f"'{tag}' without a namespace"


class UblSource:
    """UBL documents as a ``Connector``: XML files and zip archives of XML files."""

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        names: Sequence[str] | None = None,
        limits: ArchiveLimits | None = None,
    ) -> None:
        self.paths = list(paths)
        self.names = list(names) if names is not None else [p.name for p in self.paths]
        if len(self.names) != len(self.paths):
            raise ValueError("one name per path")
        self.limits = limits or ArchiveLimits()

    @property
    def total(self) -> int:
        """Documents to read: one per XML file, one per file in each archive."""
        count = 0
        for path in self.paths:
            if _is_archive(path):
                try:
                    with zipfile.ZipFile(path) as archive:
                        count += sum(1 for info in archive.infolist() if not info.is_dir())
                except (zipfile.BadZipFile, OSError):
                    count += 1
            else:
                count += 1
        return count

    def content_digest(self) -> str | None:
        return files_digest("ubl", repr(self.limits), zip(self.names, self.paths, strict=True))

    def records(self) -> Iterator[SourceItem]:
        for path, name in zip(self.paths, self.names, strict=True):
            if _is_archive(path):
                for member in archive_members(path, self.limits, name=name, suffixes=(".xml",)):
                    if isinstance(member, RejectedRecord):
                        yield member
                    else:
                        yield parse_ubl(member[1], member[0])
                continue
            try:
                with path.open("rb") as stream:
                    content = stream.read(self.limits.max_member_bytes + 1)
            except OSError as error:
                yield RejectedRecord(name, None, f"cannot be opened: {error.strerror}")
                continue
            if len(content) > self.limits.max_member_bytes:
                yield RejectedRecord(
                    name,
                    None,
                    f"refused: larger than the {self.limits.max_member_bytes:,} bytes "
                    "allowed for one document",
                )
                continue
            yield parse_ubl(content, name)


def _is_archive(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            return stream.read(4) in _ZIP_MAGIC
    except OSError:
        return False
