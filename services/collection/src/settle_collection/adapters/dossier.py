"""An own partner's dossier as one ZIP: `summary.pdf` (the case on a page or two: creditor,
debtor, invoices, amounts, the 14-day letter, the timeline), `handoff.json` (the same
document a direct partner receives), `invoices/<number>.pdf` (those whose PDF could be
fetched) and `messages/` (each message to or from the debtor, as text)."""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from fpdf import FPDF

from settle_collection.application.ports import MessageText

ENCODING = "windows-1252"  # the core fonts' encoding: € and Dutch accents included


def pdf_text(value: object) -> str:
    """Text writable in the core font: accents stripped from what Windows-1252 lacks, `?`
    for the rest."""
    out = []
    for ch in str(value):
        try:
            ch.encode(ENCODING)
            out.append(ch)
        except UnicodeEncodeError:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            try:
                base.encode(ENCODING)
                out.append(base or "?")
            except UnicodeEncodeError:
                out.append("?")
    return "".join(out)


def _money(amounts: Mapping[str, Any], name: str) -> str:
    return f"{amounts['currency']} {amounts[name]}"


def summary_pdf(document: Mapping[str, Any]) -> bytes:
    """The dossier's summary as PDF."""
    pdf = FPDF()
    pdf.core_fonts_encoding = ENCODING
    computed = date.fromisoformat(document["amounts"]["computed_on"])
    # Stamped with the computation's date, so the same dossier gives the same bytes.
    pdf.set_creation_date(datetime.combine(computed, time(0, 0), tzinfo=UTC))
    pdf.set_title(pdf_text(f"Incassodossier {document['debtor']['name']}"))
    pdf.set_producer("Settle")
    pdf.add_page()
    width = pdf.epw

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font("Helvetica", style="B", size=12)
        pdf.multi_cell(width, 7, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)

    def line(text: str) -> None:
        pdf.multi_cell(width, 5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")

    creditor, debtor, amounts = document["creditor"], document["debtor"], document["amounts"]
    pdf.set_font("Helvetica", style="B", size=16)
    line(f"Incassodossier / collection dossier {document['case_id']}")
    pdf.set_font("Helvetica", size=10)
    line(f"Overgedragen op / handed off at {document['handed_off_at']}")
    heading("Schuldeiser / creditor")
    line(creditor["name"])
    for key in ("email", "phone", "iban", "chamber_of_commerce"):
        if creditor.get(key):
            line(f"{key.replace('_', ' ')}: {creditor[key]}")
    heading("Debiteur / debtor")
    line(f"{debtor['name']} ({debtor['kind']}, number {debtor['number']})")
    for address in debtor["addresses"]:
        line(
            ", ".join(
                [*address["lines"], address.get("postal_code") or "", address.get("city") or ""]
            )
        )
    for email in debtor["emails"]:
        line(email)
    heading("Facturen / invoices")
    for invoice in document["invoices"]:
        line(
            f"{invoice['number']}: dated {invoice['invoice_date']}, due {invoice['due_date']}, "
            f"amount {invoice['currency']} {invoice['amount']}, claimed "
            f"{invoice['currency']} {invoice['principal']}"
            + (
                f", interest from {invoice['interest_from']}"
                if invoice.get("interest_from")
                else ""
            )
        )
    heading(f"Vordering / claim on {amounts['computed_on']}")
    line(f"Hoofdsom / principal: {_money(amounts, 'principal')}")
    line(f"Incassokosten / collection costs: {_money(amounts, 'costs')}")
    line(f"BTW over de kosten / VAT on the costs: {_money(amounts, 'costs_vat')}")
    kind = {"consumer": "art. 6:119 BW", "commercial": "art. 6:119a BW"}.get(
        amounts.get("interest_kind") or "", "not charged"
    )
    line(f"Wettelijke rente / statutory interest ({kind}): {_money(amounts, 'interest')}")
    if not amounts.get("interest_rates_confirmed", True):
        line("  A rate used could not be confirmed from an official publication.")
    line(f"Betaald / paid: {_money(amounts, 'paid')}")
    pdf.set_font("Helvetica", style="B", size=10)
    line(f"Totaal / total: {_money(amounts, 'total')}")
    pdf.set_font("Helvetica", size=10)
    letter = document.get("fourteen_day_letter")
    heading("14-dagenbrief / 14-day letter (art. 6:96 lid 6 BW)")
    if letter:
        line(
            f"Sent {letter['sent_on']} by {', '.join(letter['channels']) or 'unknown channel'}, "
            f"received {letter['received_on']}, term ended {letter['term_ends_on']}"
        )
        line(f"Messages: {', '.join(letter['message_ids']) or '-'}")
    else:
        line("Not required: the debtor is a business.")
    heading("Tijdlijn / timeline")
    for entry in document["timeline"]:
        what = entry.get("subject") or entry.get("detail") or ""
        channel = (
            f" [{entry['channel']}, {entry.get('state') or ''}]" if entry.get("channel") else ""
        )
        line(f"{entry['at']} {entry['kind']}{channel}: {what}")
    return bytes(pdf.output())


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "item"


def write_dossier(
    document: Mapping[str, Any], texts: Sequence[MessageText], pdfs: Mapping[str, bytes]
) -> bytes:
    """The dossier ZIP of a handoff document, the messages' texts and the invoices' PDFs."""
    wanted = {e.get("message_id") for e in document["timeline"] if e.get("message_id")}
    out = io.BytesIO()
    stamp = date.fromisoformat(document["amounts"]["computed_on"]).timetuple()[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def put(name: str, content: bytes) -> None:
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), content)

        put("summary.pdf", summary_pdf(document))
        put("handoff.json", json.dumps(document, indent=2, ensure_ascii=False).encode())
        for number, content in pdfs.items():
            put(f"invoices/{_slug(number)}.pdf", content)
        chosen = [t for t in texts if t.message_id in wanted] if wanted else list(texts)
        for position, text in enumerate(sorted(chosen, key=lambda t: t.at), start=1):
            day = text.at.date().isoformat()
            name = f"messages/{position:02d}-{day}-{text.direction}-{text.channel}.txt"
            put(
                name,
                (
                    f"Subject: {text.subject}\nDate: {text.at.isoformat()}\n"
                    f"Channel: {text.channel} ({text.direction})\n\n{text.body}\n"
                ).encode(),
            )
    return out.getvalue()
