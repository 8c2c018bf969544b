"""Short fixed words (table headings, field names) per language, for templates and letters."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

_LABELS: Final[dict[str, dict[str, str]]] = {
    "nl": {
        "invoice": "Factuur",
        "invoice_date": "Factuurdatum",
        "due_date": "Vervaldatum",
        "amount": "Bedrag",
        "open_amount": "Openstaand",
        "total_open": "Totaal openstaand",
        "instalment": "Termijn",
        "subject": "Betreft",
        "date": "Datum",
        "reference": "Ons kenmerk",
        "chamber_of_commerce": "KvK",
        "iban": "IBAN",
        "vat": "btw",
        "page": "Pagina",
        "phone": "Tel.",
        "email": "E-mail",
    },
    "en": {
        "invoice": "Invoice",
        "invoice_date": "Invoice date",
        "due_date": "Due date",
        "amount": "Amount",
        "open_amount": "Outstanding",
        "total_open": "Total outstanding",
        "instalment": "Instalment",
        "subject": "Subject",
        "date": "Date",
        "reference": "Our reference",
        "chamber_of_commerce": "Chamber of Commerce",
        "iban": "IBAN",
        "vat": "VAT",
        "page": "Page",
        "phone": "Phone",
        "email": "Email",
    },
    "de": {
        "invoice": "Rechnung",
        "invoice_date": "Rechnungsdatum",
        "due_date": "Fälligkeitsdatum",
        "amount": "Betrag",
        "open_amount": "Offen",
        "total_open": "Offener Gesamtbetrag",
        "instalment": "Rate",
        "subject": "Betreff",
        "date": "Datum",
        "reference": "Unser Zeichen",
        "chamber_of_commerce": "Handelsregister",
        "iban": "IBAN",
        "vat": "USt.",
        "page": "Seite",
        "phone": "Tel.",
        "email": "E-Mail",
    },
    "fr": {
        "invoice": "Facture",
        "invoice_date": "Date de facture",
        "due_date": "Échéance",
        "amount": "Montant",
        "open_amount": "Restant dû",
        "total_open": "Total restant dû",
        "instalment": "Versement",
        "subject": "Objet",
        "date": "Date",
        "reference": "Notre référence",
        "chamber_of_commerce": "Registre du commerce",
        "iban": "IBAN",
        "vat": "TVA",
        "page": "Page",
        "phone": "Tél.",
        "email": "E-mail",
    },
}


def labels_for(language: str) -> MappingProxyType[str, str]:
    """Return the fixed words for a language; English where the language has none."""
    return MappingProxyType(_LABELS.get(language, _LABELS["en"]))
