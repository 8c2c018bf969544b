"""Sample data for template previews: plausible, fixed, and complete for every kind of message."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from settle_messaging.domain.model import (
    AdministrationInfo,
    CreditNoteLine,
    DebtorInfo,
    DebtorType,
    Instalment,
    InvoiceLine,
    MessageContext,
    Money,
    PaymentPlanInfo,
    PostalAddress,
    SenderInfo,
    TemplateKey,
)

# A fixed date keeps previews stable (and the domain free of clocks).
SAMPLE_TODAY = date(2025, 3, 14)

_SUBJECTS = {
    "nl": (
        "Uw vraag over factuur 2025-0117",
        "Dank voor uw bericht. De creditnota volgt deze week.",
    ),
    "en": (
        "Your question about invoice 2025-0117",
        "Thank you for your message. The credit note will follow this week.",
    ),
    "de": (
        "Ihre Frage zu Rechnung 2025-0117",
        "Vielen Dank für Ihre Nachricht. Die Gutschrift folgt diese Woche.",
    ),
    "fr": (
        "Votre question sur la facture 2025-0117",
        "Merci pour votre message. L'avoir suivra cette semaine.",
    ),
}


def sample_context(template_key: str, language: str) -> MessageContext:
    """Return a complete sample context, so any template (built-in or custom) can be previewed.

    Consumer debtor, two invoices and an open credit note, a payment link, a reply link,
    collection costs, a payment plan with its next instalment and a free-message text: every
    variable a template may use.
    """
    invoices = (
        InvoiceLine(
            number="2025-0117",
            invoice_date=date(2025, 1, 20),
            due_date=date(2025, 2, 19),
            amount=Decimal("1210.00"),
            open_amount=Decimal("1210.00"),
        ),
        InvoiceLine(
            number="2025-0142",
            invoice_date=date(2025, 2, 3),
            due_date=date(2025, 3, 5),
            amount=Decimal("484.00"),
            open_amount=Decimal("284.00"),
        ),
    )
    instalments = (
        Instalment(1, date(2025, 4, 1), Money(Decimal("497.00"), "EUR"),
                   "https://pay.example.com/i/1"),
        Instalment(2, date(2025, 5, 1), Money(Decimal("497.00"), "EUR"),
                   "https://pay.example.com/i/2"),
        Instalment(3, date(2025, 6, 1), Money(Decimal("500.00"), "EUR"),
                   "https://pay.example.com/i/3"),
    )  # fmt: skip
    subject, body = _SUBJECTS.get(language, _SUBJECTS["en"])
    return MessageContext(
        debtor=DebtorInfo(
            name="J. de Vries",
            language=language,
            type=DebtorType.CONSUMER,
            email="j.devries@example.com",
            contact_name="Jan de Vries",
            address=PostalAddress("Kerkstraat 12", "1017 GC", "Amsterdam", "NL"),
            number="D-1001",
        ),
        administration=AdministrationInfo(
            name="Voorbeeld B.V.",
            email="debiteuren@voorbeeld.example",
            phone="020 123 4567",
            website="www.voorbeeld.example",
            address=PostalAddress("Stationsplein 1", "3511 ED", "Utrecht", "NL"),
            iban="NL91 ABNA 0417 1643 00",
            chamber_of_commerce="12345678",
        ),
        sender=SenderInfo(name="Sanne Jansen", role="Debiteurenbeheer"),
        today=SAMPLE_TODAY,
        invoices=invoices,
        payment_link="https://pay.example.com/p/sample",
        reply_link="https://reply.example.com/r/sample",
        collection_costs=Money(Decimal("224.10"), "EUR"),
        collection_costs_maximum=Money(Decimal("224.10"), "EUR"),
        payment_plan=PaymentPlanInfo(
            instalments=instalments, total=Money(Decimal("1494.00"), "EUR"), reference="BR-0031"
        ),
        instalment=instalments[1],
        credit_notes=(
            CreditNoteLine(
                number="2025-C007",
                amount=Decimal("-121.00"),
                open_amount=Decimal("-121.00"),
                currency="EUR",
                invoice_date=date(2025, 2, 10),
                corrects="2025-0117",
            ),
        ),
        message_subject=subject,
        message_body=body,
        reference=None if template_key != TemplateKey.FREE_MESSAGE else "2025-0117",
    )
