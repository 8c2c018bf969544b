"""UBL documents. Real files (tests/data, see its README): the eight Peppol BIS Billing 3.0
examples, each asserted field by field: base-example.xml (invoice Snippet1),
base-creditnote-correction.xml (credit note Snippet1), base-negative-inv-correction.xml (an
invoice with negative amounts: a credit), Allowance-example.xml (a prepaid amount),
Vat-category-S.xml, and vat-category-E/-Z/-O.xml (GBP and SEK, payment terms instead of a due
date)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from settle_importer.adapters.sources import ArchiveLimits, UblSource, parse_ubl
from settle_importer.domain import (
    ChunkOutcome,
    CreditNoteImported,
    ImportedDebtor,
    InvoiceImported,
    RejectedRecord,
    SourceItem,
    SourceRecord,
)

from .fakes import InMemorySnapshot, reconcile

pytestmark = pytest.mark.unit

DataFile = Callable[[str], Path]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol9;</Invoice>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>&secret;</cbc:ID>
</Invoice>"""

ORDER = b"""<?xml version="1.0"?>
<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>PO-1</cbc:ID>
</Order>"""


def document(data_file: DataFile, name: str) -> SourceItem:
    return parse_ubl(data_file(name).read_bytes(), name)


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_peppol_base_example_invoice(data_file: DataFile) -> None:
    record = document(data_file, "base-example.xml")

    assert isinstance(record, SourceRecord)
    invoice = record.invoice
    assert invoice.kind == "invoice"
    assert invoice.number == "Snippet1"
    assert invoice.invoice_date == date(2017, 11, 13)
    assert invoice.due_date == date(2017, 12, 1)
    assert invoice.due_date_source == "document"
    assert invoice.payment_terms == "Payment within 10 days, 2% discount"
    assert (invoice.amount, invoice.open_amount) == (Decimal("1656.25"), Decimal("1656.25"))
    assert invoice.currency == "EUR"
    assert (invoice.payment_condition, invoice.pdf_url, invoice.corrects) == (None, None, None)
    assert record.debtor == BUYER_FR23342
    assert invoice.debtor_number == "FR23342"


# The buyer of most Snippet1 examples, as every file that names it gives it.
BUYER_FR23342 = ImportedDebtor(
    number="FR23342",  # its party identification
    name="BuyerTradingName AS",
    type="business",  # it has a VAT id
    emails=("lj@buyer.se",),
    phone="23434234",
    address_lines=("Hovedgatan 32", "Po box 878"),
    postal_code="456 34",
    city="Stockholm",
    country="SE",
    language=None,  # UBL carries none
)
# The buyer of the VAT category examples: a legal entity with only an endpoint id.
BUYER_12345678 = ImportedDebtor(
    number="12345678",
    name="The Buyercompany",
    type="business",  # its registration name makes it a legal entity
    emails=(),
    phone=None,
    address_lines=("Anystreet 8", "Back door"),
    postal_code="101",
    city="Anytown",
    country="DK",
)


def test_peppol_credit_note_is_negative_due_on_issue_and_names_what_it_corrects(
    data_file: DataFile,
) -> None:
    record = document(data_file, "base-creditnote-correction.xml")

    assert isinstance(record, SourceRecord)
    credit = record.invoice
    assert credit.kind == "credit_note"
    assert credit.number == "Snippet1"
    assert credit.invoice_date == credit.due_date == date(2017, 11, 13)
    assert (credit.amount, credit.open_amount) == (Decimal("-1656.25"), Decimal("-1656.25"))
    assert credit.currency == "EUR"
    assert credit.corrects == "Snippet1"  # cac:BillingReference
    assert credit.debtor_number == "FR23342"
    assert record.debtor == BUYER_FR23342


def test_a_negative_invoice_is_a_credit_note_for_the_invoice_it_corrects(
    data_file: DataFile,
) -> None:
    record = document(data_file, "base-negative-inv-correction.xml")

    assert isinstance(record, SourceRecord)
    credit = record.invoice
    assert credit.kind == "credit_note"  # an Invoice, type 380, payable -1656.25
    assert credit.number == "Correction1"
    assert credit.invoice_date == date(2017, 11, 13)
    assert (credit.amount, credit.open_amount) == (Decimal("-1656.25"), Decimal("-1656.25"))
    assert credit.currency == "EUR"
    assert credit.corrects == "Snippet1"
    assert record.debtor == BUYER_FR23342


def test_prepaid_amount_is_part_of_the_amount_but_not_open(data_file: DataFile) -> None:
    record = document(data_file, "Allowance-example.xml")

    assert isinstance(record, SourceRecord)
    invoice = record.invoice
    assert (invoice.kind, invoice.number, invoice.currency) == ("invoice", "Snippet1", "EUR")
    assert (invoice.invoice_date, invoice.due_date) == (date(2017, 11, 13), date(2017, 12, 1))
    assert invoice.due_date_source == "document"
    assert (invoice.amount, invoice.open_amount) == (Decimal("7125.00"), Decimal("6125.00"))
    assert invoice.pdf_url is None  # its attachment is a technical specification
    assert record.debtor == replace(BUYER_FR23342, number="4598375937")
    assert invoice.debtor_number == "4598375937"


def test_peppol_standard_rate_example(data_file: DataFile) -> None:
    record = document(data_file, "Vat-category-S.xml")

    assert isinstance(record, SourceRecord)
    invoice = record.invoice
    assert (invoice.kind, invoice.number, invoice.currency) == ("invoice", "Snippet1", "EUR")
    assert (invoice.invoice_date, invoice.due_date) == (date(2017, 11, 13), date(2017, 12, 1))
    assert invoice.due_date_source == "document"
    assert (invoice.amount, invoice.open_amount) == (Decimal("8550.00"), Decimal("8550.00"))
    assert record.debtor == replace(BUYER_FR23342, emails=(), phone=None)  # no contact


@pytest.mark.parametrize("name", ["vat-category-E.xml", "vat-category-Z.xml"])
def test_a_gbp_invoice_without_due_date_is_due_by_its_payment_terms(
    data_file: DataFile, name: str
) -> None:
    record = document(data_file, name)

    assert isinstance(record, SourceRecord)
    invoice = record.invoice
    assert (invoice.kind, invoice.number, invoice.currency) == ("invoice", "Vat-Z", "GBP")
    assert invoice.invoice_date == date(2018, 8, 30)
    assert invoice.due_date == date(2018, 9, 29)  # "Payment within 30 days"
    assert invoice.due_date_source == "payment_terms"
    assert invoice.payment_terms == "Payment within 30 days"
    assert (invoice.amount, invoice.open_amount) == (Decimal("1200.00"), Decimal("1200.00"))
    assert record.debtor == BUYER_12345678
    assert invoice.debtor_number == "12345678"


def test_a_sek_invoice_without_due_date_is_due_by_its_payment_terms(data_file: DataFile) -> None:
    record = document(data_file, "vat-category-O.xml")

    assert isinstance(record, SourceRecord)
    invoice = record.invoice
    assert (invoice.kind, invoice.number, invoice.currency) == ("invoice", "Vat-O", "SEK")
    assert (invoice.invoice_date, invoice.due_date) == (date(2018, 8, 30), date(2018, 9, 29))
    assert invoice.due_date_source == "payment_terms"
    assert (invoice.amount, invoice.open_amount) == (Decimal("3200.00"), Decimal("3200.00"))
    assert record.debtor == replace(BUYER_12345678, number="987654325", country="NO")


def test_all_eight_peppol_examples_are_read_and_reconciled_without_a_rejection(
    data_file: DataFile,
) -> None:
    names = [
        "base-example.xml",
        "base-creditnote-correction.xml",
        "base-negative-inv-correction.xml",
        "vat-category-E.xml",
        "vat-category-O.xml",
        "Allowance-example.xml",
        "Vat-category-S.xml",
        "vat-category-Z.xml",
    ]
    snapshot = InMemorySnapshot()
    rejected: list[RejectedRecord] = []
    kinds: list[str] = []
    for name in names:  # one run per file, as the drop folder imports them
        result = reconcile(UblSource([data_file(name)]).records(), snapshot, complete=False)
        snapshot.apply(ChunkOutcome(facts=result.facts, fingerprints=result.fingerprints))
        rejected += result.rejected
        kinds += [type(f).__name__ for f in result.facts if not hasattr(f, "debtor")]

    assert rejected == []
    # Invoice numbers are unique in an administration: the later Snippet1 and Vat-Z files are
    # the same documents again (a changed amount or debtor is flagged, not applied).
    assert kinds[:5] == [
        "InvoiceImported",
        "CreditNoteImported",
        "CreditNoteImported",
        "InvoiceImported",
        "InvoiceImported",
    ]
    assert kinds[5:] == [
        "PossibleBookkeepingError",  # Allowance-example: another amount,
        "PossibleBookkeepingError",  # and another debtor,
        "InvoiceChanged",  # its open amount is updated
        "PossibleBookkeepingError",  # Vat-category-S: another amount,
        "InvoiceChanged",  # its open amount is updated; vat-category-Z: nothing changed
    ]


def test_an_invoice_with_neither_due_date_nor_terms_is_due_the_default_term(
    data_file: DataFile,
) -> None:
    content = data_file("base-example.xml").read_bytes()
    bare = content.replace(b"<cbc:DueDate>2017-12-01</cbc:DueDate>", b"").replace(
        b"<cbc:Note>Payment within 10 days, 2% discount</cbc:Note>", b""
    )

    record = parse_ubl(bare, "no-due-date.xml")
    assert isinstance(record, SourceRecord)
    assert record.invoice.due_date_source == "default_term"
    assert record.invoice.payment_terms is None

    result = reconcile([record], InMemorySnapshot(), complete=False, default_payment_term_days=14)
    [imported] = [f for f in result.facts if isinstance(f, InvoiceImported)]
    assert imported.invoice.due_date == date(2017, 11, 27)  # issued 13 November, 14 days
    assert imported.invoice.due_date_source == "default_term"
    assert result.rejected == []


def test_terms_that_only_give_a_discount_period_are_not_a_due_date(data_file: DataFile) -> None:
    content = data_file("base-example.xml").read_bytes()
    without_due_date = content.replace(b"<cbc:DueDate>2017-12-01</cbc:DueDate>", b"")

    record = parse_ubl(without_due_date, "discount-only.xml")

    assert isinstance(record, SourceRecord)
    assert record.invoice.due_date_source == "default_term"
    assert record.invoice.payment_terms == "Payment within 10 days, 2% discount"


def test_billion_laughs_is_refused() -> None:
    record = parse_ubl(BILLION_LAUGHS, "lol.xml")

    assert isinstance(record, RejectedRecord)
    assert record.reason.startswith("refused: the XML has a document type declaration")


def test_external_entity_is_refused() -> None:
    record = parse_ubl(EXTERNAL_ENTITY, "xxe.xml")

    assert isinstance(record, RejectedRecord)
    assert record.reason.startswith("refused:")
    assert "root" not in record.reason  # nothing of /etc/passwd leaks into the reason


def test_a_document_that_is_not_an_invoice() -> None:
    record = parse_ubl(ORDER, "order.xml")

    assert isinstance(record, RejectedRecord)
    assert record.reason == (
        "not a UBL Invoice or CreditNote: the document is 'Order' in namespace "
        "urn:oasis:names:specification:ubl:schema:xsd:Order-2"
    )


def test_an_invoice_root_in_another_namespace_is_not_ubl() -> None:
    record = parse_ubl(b"<Invoice><ID>1</ID></Invoice>", "plain.xml")

    assert isinstance(record, RejectedRecord)
    assert "'Invoice' without a namespace" in record.reason


def test_malformed_xml() -> None:
    record = parse_ubl(b"<Invoice", "broken.xml")

    assert isinstance(record, RejectedRecord)
    assert record.reason.startswith("not well-formed XML")


def test_many_files_one_bad(data_file: DataFile, tmp_path: Path) -> None:
    order = tmp_path / "order.xml"
    order.write_bytes(ORDER)
    source = UblSource([data_file("base-example.xml"), order, data_file("Allowance-example.xml")])

    items = list(source.records())

    assert source.total == 3
    assert [type(item).__name__ for item in items] == [
        "SourceRecord",
        "RejectedRecord",
        "SourceRecord",
    ]


def test_a_zip_of_documents_with_bad_members(data_file: DataFile, tmp_path: Path) -> None:
    archive = zip_of(
        tmp_path / "facturen.zip",
        {
            "2017/base-example.xml": data_file("base-example.xml").read_bytes(),
            "2017/credit.xml": data_file("base-creditnote-correction.xml").read_bytes(),
            "../../etc/cron.d/evil.xml": ORDER,
            "/absolute.xml": ORDER,
            "C:/windows.xml": ORDER,
            "inner.zip": b"PK\x03\x04rest",
            "disguised.xml": b"PK\x03\x04rest",
            "lol.xml": BILLION_LAUGHS,
            "readme.txt": b"hello",
            "__MACOSX/2017/._base-example.xml": b"\0\5\26\7",
        },
    )

    items = list(UblSource([archive]).records())

    accepted = [item for item in items if isinstance(item, SourceRecord)]
    reasons = {item.position: item.reason for item in items if isinstance(item, RejectedRecord)}
    assert [(r.position, r.invoice.kind) for r in accepted] == [
        ("facturen.zip/2017/base-example.xml", "invoice"),
        ("facturen.zip/2017/credit.xml", "credit_note"),
    ]
    assert "path traversal" in reasons["facturen.zip/../../etc/cron.d/evil.xml"]
    assert "path traversal" in reasons["facturen.zip//absolute.xml"]
    assert "path traversal" in reasons["facturen.zip/C:/windows.xml"]
    assert "archives inside an archive" in reasons["facturen.zip/inner.zip"]
    assert "archives inside an archive" in reasons["facturen.zip/disguised.xml"]
    assert "document type declaration" in reasons["facturen.zip/lol.xml"]
    assert "not an XML document" in reasons["facturen.zip/readme.txt"]
    assert len(items) == 9  # the Finder metadata is skipped


def test_a_zip_bomb_member_is_refused_and_the_rest_goes_on(
    data_file: DataFile, tmp_path: Path
) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bomb:
        with bomb.open("huge.xml", "w") as member:
            for _ in range(20):
                member.write(b" " * (1024 * 1024))
        bomb.write(data_file("base-example.xml"), "base-example.xml")

    huge, good = UblSource([archive]).records()

    assert isinstance(huge, RejectedRecord)
    assert "more than 100:1" in huge.reason and "zip bomb" in huge.reason
    assert isinstance(good, SourceRecord)


def test_archive_size_limits(data_file: DataFile, tmp_path: Path) -> None:
    example = data_file("base-example.xml").read_bytes()
    archive = zip_of(tmp_path / "many.zip", {f"{n}.xml": example for n in range(3)})

    too_many = list(UblSource([archive], limits=ArchiveLimits(max_members=2)).records())
    too_large = list(
        UblSource([archive], limits=ArchiveLimits(max_total_bytes=2 * len(example))).records()
    )

    assert len(too_many) == 1 and isinstance(too_many[0], RejectedRecord)
    assert "more than 2" in too_many[0].reason
    assert [type(item).__name__ for item in too_large] == [
        "SourceRecord",
        "SourceRecord",
        "RejectedRecord",
    ]


def test_an_oversized_document_is_refused(data_file: DataFile) -> None:
    limits = ArchiveLimits(max_member_bytes=1000)

    [item] = UblSource([data_file("base-example.xml")], limits=limits).records()

    assert isinstance(item, RejectedRecord) and "larger than" in item.reason


def test_invoice_and_credit_note_with_the_same_number_are_both_imported(
    data_file: DataFile,
) -> None:
    source = UblSource([data_file("base-example.xml"), data_file("base-creditnote-correction.xml")])

    result = reconcile(source.records(), InMemorySnapshot(), complete=False)

    assert result.rejected == []
    assert [type(f) for f in result.facts if not hasattr(f, "debtor")] == [
        InvoiceImported,
        CreditNoteImported,
    ]
