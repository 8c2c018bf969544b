"""Letters as PDF: A4, the address where a window envelope shows it (DIN 5008 form B / NEN).

The layout follows DIN 5008 form B, which Dutch window envelopes (left window) also fit:

* window: 20 mm from the left edge, 45 mm from the top, 85 x 45 mm; inside it a small return
  address line and then the recipient, starting about 52 mm from the top;
* sender block in the right column, date and subject below the window, body from 25 mm left;
* fold marks at 105 mm and 210 mm and a punch mark at 148.5 mm.

The PDF uses the standard Helvetica font in the Windows-1252 encoding, which covers Dutch,
English, German and French; characters outside it are written without their accents (or as
``?``) rather than failing the letter.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from fpdf import FPDF
from fpdf.fonts import FontFace

from settle_messaging.domain.errors import MissingPostalAddress
from settle_messaging.domain.formatting import country_name, format_day, format_money
from settle_messaging.domain.labels import labels_for
from settle_messaging.domain.model import MessageContext, PostalAddress
from settle_messaging.domain.templates import INVOICE_TABLE_MARKER, RenderedMessage

# Positions in millimetres from the top-left corner of the page.
WINDOW_LEFT = 20.0
WINDOW_TOP = 45.0
WINDOW_WIDTH = 85.0
WINDOW_HEIGHT = 45.0
ADDRESS_LEFT = WINDOW_LEFT + 5.0
RETURN_ADDRESS_TOP = WINDOW_TOP + 2.5
RECIPIENT_TOP = WINDOW_TOP + 7.0
SENDER_LEFT = 125.0
SENDER_TOP = 20.0
BODY_LEFT = 25.0
BODY_RIGHT_MARGIN = 20.0
DATE_TOP = 98.0
BODY_TOP = 120.0
BOTTOM_MARGIN = 25.0
FOLD_MARKS = (105.0, 210.0)
PUNCH_MARK = 148.5

_ENCODING = "windows-1252"
_REPLACEMENTS = str.maketrans(
    {
        "\u202f": "\u00a0",  # narrow no-break space (French amounts) -> no-break space
        "\u2009": " ",
        "\u2212": "-",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "\u0131": "i",  # dotless i (Turkish names)
    }
)


def pdf_text(value: str) -> str:
    """Make text writable in the letter's font: keep what Windows-1252 has, strip accents
    from what it lacks, and write ``?`` for the rest."""
    value = value.translate(_REPLACEMENTS)
    out: list[str] = []
    for ch in value:
        try:
            ch.encode(_ENCODING)
        except UnicodeEncodeError:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            try:
                base.encode(_ENCODING)
            except UnicodeEncodeError:
                base = "?"
            out.append(base or "?")
        else:
            out.append(ch)
    return "".join(out)


def address_lines(name: str, address: PostalAddress, sender_country: str, locale: str) -> list[str]:
    """The lines of a postal address as they go in the window.

    Dutch addresses follow PostNL's advice (two spaces between postal code and town, the town
    in capitals); a foreign address ends with its country in capitals.
    """
    lines = [name]
    if address.attention_of:
        lines.append(address.attention_of)
    lines.append(address.street)
    if address.country == "NL":
        lines.append(f"{address.postal_code}  {address.city.upper()}")
    else:
        lines.append(f"{address.postal_code} {address.city}".strip())
    if address.country != sender_country:
        lines.append(country_name(address.country, locale).upper())
    return [line for line in lines if line.strip()]


@dataclass(frozen=True, slots=True)
class _Footer:
    text: str
    page_label: str


class _LetterPDF(FPDF):
    """FPDF with the letter's footer on every page."""

    def __init__(self, footer: _Footer) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer = footer

    def footer(self) -> None:
        self.set_y(-15)
        self.set_x(BODY_LEFT)
        self.set_font("Helvetica", size=7)
        self.set_text_color(110, 110, 110)
        width = self.w - BODY_LEFT - BODY_RIGHT_MARGIN
        self.cell(width / 4 * 3, 4, pdf_text(self._footer.text))
        self.cell(
            width / 4, 4, pdf_text(f"{self._footer.page_label} {self.page_no()}/{{nb}}"), align="R"
        )
        self.set_text_color(0, 0, 0)


def _draw_marks(pdf: FPDF) -> None:
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    for y in FOLD_MARKS:
        pdf.line(4, y, 8, y)
    pdf.line(4, PUNCH_MARK, 10, PUNCH_MARK)
    pdf.set_draw_color(0, 0, 0)


def render_letter_pdf(
    rendered: RenderedMessage, context: MessageContext, letter_date: date | None = None
) -> bytes:
    """Render a letter from a message rendered for the letter channel.

    Uses the message's subject and text (where the text has the invoice-table marker, a real
    table of the context's invoices is drawn). Returns the PDF as bytes; raises
    ``MissingPostalAddress`` when the debtor has no address.
    """
    debtor = context.debtor
    administration = context.administration
    if debtor.address is None:
        raise MissingPostalAddress(f"debtor {debtor.name!r} has no postal address")
    day = letter_date or context.today
    locale = rendered.locale
    labels = labels_for(rendered.language)

    footer_parts = [administration.name]
    if administration.chamber_of_commerce:
        footer_parts.append(f"{labels['chamber_of_commerce']} {administration.chamber_of_commerce}")
    if administration.iban:
        footer_parts.append(f"{labels['iban']} {administration.iban}")
    pdf = _LetterPDF(_Footer(" · ".join(footer_parts), labels["page"]))
    pdf.core_fonts_encoding = _ENCODING
    # Stamped with the letter's date instead of the clock, so the same letter gives the same
    # bytes and the domain stays free of "now".
    pdf.set_creation_date(datetime.combine(day, time(0, 0), tzinfo=UTC))
    pdf.set_title(pdf_text(rendered.subject))
    pdf.set_author(pdf_text(administration.name))
    pdf.set_producer("Settle")
    pdf.set_margins(BODY_LEFT, 20, BODY_RIGHT_MARGIN)
    pdf.set_auto_page_break(auto=True, margin=BOTTOM_MARGIN)
    pdf.alias_nb_pages()
    pdf.add_page()
    _draw_marks(pdf)

    _sender_block(pdf, context, labels)
    _window(pdf, context, locale)

    pdf.set_xy(BODY_LEFT, DATE_TOP)
    pdf.set_font("Helvetica", size=10)
    place = administration.address.city if administration.address else None
    dated = format_day(day, locale, "long")
    pdf.cell(text=pdf_text(f"{place}, {dated}" if place else dated))
    pdf.ln(5)
    if context.reference:
        pdf.set_x(BODY_LEFT)
        pdf.cell(text=pdf_text(f"{labels['reference']}: {context.reference}"))
        pdf.ln(5)
    pdf.ln(4)
    pdf.set_x(BODY_LEFT)
    pdf.set_font("Helvetica", style="B", size=10)
    pdf.multi_cell(0, 5, pdf_text(f"{labels['subject']}: {rendered.subject}"), align="L")
    pdf.set_y(max(pdf.get_y() + 6, BODY_TOP))

    _body(pdf, rendered.text, context, locale, labels)
    return bytes(pdf.output())


def _sender_block(pdf: FPDF, context: MessageContext, labels: Mapping[str, str]) -> None:
    administration = context.administration
    lines: list[tuple[str, str]] = [("B", administration.name)]
    if administration.address is not None:
        address = administration.address
        lines.append(("", address.street))
        lines.append(("", f"{address.postal_code} {address.city}"))
    if administration.phone:
        lines.append(("", f"{labels['phone']} {administration.phone}"))
    lines.append(("", administration.email))
    if administration.website:
        lines.append(("", administration.website))
    if administration.iban:
        lines.append(("", f"{labels['iban']} {administration.iban}"))
    if administration.chamber_of_commerce:
        lines.append(("", f"{labels['chamber_of_commerce']} {administration.chamber_of_commerce}"))
    y = SENDER_TOP
    for style, line in lines:
        pdf.set_xy(SENDER_LEFT, y)
        pdf.set_font("Helvetica", style=style, size=11 if style else 9)
        pdf.cell(pdf.w - SENDER_LEFT - BODY_RIGHT_MARGIN, 4.5, pdf_text(line))
        y += 5.5 if style else 4.2


def _window(pdf: FPDF, context: MessageContext, locale: str) -> None:
    administration = context.administration
    debtor = context.debtor
    assert debtor.address is not None
    if administration.address is not None:
        sender = administration.address
        return_line = (
            f"{administration.name} · {sender.street} · {sender.postal_code} {sender.city}"
        )
        pdf.set_xy(ADDRESS_LEFT, RETURN_ADDRESS_TOP)
        pdf.set_font("Helvetica", size=6.5)
        pdf.cell(WINDOW_WIDTH - 5, 3, pdf_text(return_line))
    pdf.set_font("Helvetica", size=10)
    y = RECIPIENT_TOP
    for line in address_lines(debtor.name, debtor.address, administration.country, locale):
        pdf.set_xy(ADDRESS_LEFT, y)
        pdf.cell(WINDOW_WIDTH - 5, 4.6, pdf_text(line))
        y += 4.6


def _body(
    pdf: FPDF, text: str, context: MessageContext, locale: str, labels: Mapping[str, str]
) -> None:
    pdf.set_font("Helvetica", size=10)
    table_drawn = False
    for line in text.split("\n"):
        if line.strip() == INVOICE_TABLE_MARKER:
            if context.invoices:
                _invoice_table(pdf, context, locale, labels)
                table_drawn = True
            continue
        pdf.set_x(BODY_LEFT)
        if line.strip():
            pdf.multi_cell(0, 4.8, pdf_text(line), align="L")
        else:
            pdf.ln(3)
    if context.invoices and not table_drawn:
        # A custom template without the marker still gets the table the letter must show.
        pdf.ln(4)
        _invoice_table(pdf, context, locale, labels)


def _invoice_table(
    pdf: FPDF, context: MessageContext, locale: str, labels: Mapping[str, str]
) -> None:
    pdf.set_x(BODY_LEFT)
    pdf.set_font("Helvetica", size=9)
    headings = FontFace(emphasis="BOLD")
    with pdf.table(
        col_widths=(32, 30, 30, 36, 37),
        width=165,
        align="LEFT",
        text_align="LEFT",
        borders_layout="HORIZONTAL_LINES",
        headings_style=headings,
        line_height=5,
        padding=(1, 1.5),
    ) as table:
        row = table.row()
        for key in ("invoice", "invoice_date", "due_date"):
            row.cell(pdf_text(labels[key]))
        row.cell(pdf_text(labels["amount"]), align="RIGHT")
        row.cell(pdf_text(labels["open_amount"]), align="RIGHT")
        for invoice in context.invoices:
            row = table.row()
            row.cell(pdf_text(invoice.number))
            row.cell(pdf_text(format_day(invoice.invoice_date, locale, "short")))
            row.cell(pdf_text(format_day(invoice.due_date, locale, "short")))
            row.cell(pdf_text(format_money(invoice.total, locale)), align="RIGHT")
            row.cell(pdf_text(format_money(invoice.open, locale)), align="RIGHT")
        total = context.total_open
        if total is not None:
            row = table.row(style=FontFace(emphasis="BOLD"))
            row.cell(pdf_text(labels["total_open"]), colspan=4)
            row.cell(pdf_text(format_money(total, locale)), align="RIGHT")
        for note in context.credit_notes:
            row = table.row()
            row.cell(pdf_text(f"{labels['credit_note']} {note.number}"))
            row.cell(
                pdf_text(
                    format_day(note.invoice_date, locale, "short") if note.invoice_date else ""
                )
            )
            row.cell(pdf_text(f"{labels['corrects']} {note.corrects}" if note.corrects else ""))
            row.cell(pdf_text(format_money(note.total, locale)), align="RIGHT")
            row.cell(pdf_text(format_money(note.open, locale)), align="RIGHT")
        due = context.amount_due
        if context.credit_notes and due is not None:
            row = table.row(style=FontFace(emphasis="BOLD"))
            row.cell(pdf_text(labels["amount_due"]), colspan=4)
            row.cell(pdf_text(format_money(due, locale)), align="RIGHT")
    pdf.set_font("Helvetica", size=10)
    pdf.ln(2)
