from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from settle_messaging.domain.errors import MissingPostalAddress
from settle_messaging.domain.letters import (
    RECIPIENT_TOP,
    WINDOW_HEIGHT,
    WINDOW_LEFT,
    WINDOW_TOP,
    WINDOW_WIDTH,
    address_lines,
    pdf_text,
    render_letter_pdf,
)
from settle_messaging.domain.model import Channel, Money, PostalAddress, TemplateKey, Tone
from settle_messaging.domain.templates import render

pytestmark = pytest.mark.unit

Factory = Callable[..., Any]
MM_PER_POINT = 25.4 / 72
A4_HEIGHT_MM = 297.0


def page_content(pdf: bytes) -> bytes:
    """All content streams of the PDF, inflated: where the letter's text is."""
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            chunks.append(match.group(1))
    return b"\n".join(chunks)


def extracted_text(pdf: bytes) -> str:
    """The strings the PDF draws, in order, joined by spaces: enough to read a wrapped line."""
    content = page_content(pdf)
    strings = re.findall(rb"\(((?:[^()\\]|\\.)*)\) Tj", content)
    decoded = [re.sub(rb"\\(.)", rb"\1", raw).decode("windows-1252") for raw in strings]
    return " ".join(" ".join(decoded).split())


def pdf_string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return escaped.encode("windows-1252")


def text_position_mm(content: bytes, text: str) -> tuple[float, float]:
    """(mm from the left, mm from the top) of the baseline where a string is drawn."""
    match = re.search(
        rb"BT ([\d.]+) ([\d.]+) Td \(" + re.escape(pdf_string(text)) + rb"\)", content
    )
    assert match, f"{text!r} is not drawn on its own"
    x, y = float(match.group(1)), float(match.group(2))
    return x * MM_PER_POINT, A4_HEIGHT_MM - y * MM_PER_POINT


@pytest.fixture
def fourteen_day_letter(context_factory: Factory) -> tuple[bytes, Any]:
    context = context_factory(
        collection_costs=Money(__import__("decimal").Decimal("181.50"), "EUR"),
        reference="INC-2025-0042",
    )
    rendered = render(
        TemplateKey.FOURTEEN_DAY_LETTER, "nl", Tone.FORMAL, context, channel=Channel.LETTER
    )
    return render_letter_pdf(rendered, context), context


def test_letter_is_a_valid_pdf(fourteen_day_letter: tuple[bytes, Any]) -> None:
    pdf, _ = fourteen_day_letter

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [0 0 595.28 841.89]" in pdf  # A4 in points
    assert b"startxref" in pdf


def test_letter_contains_the_address_sender_subject_and_table(
    fourteen_day_letter: tuple[bytes, Any],
) -> None:
    pdf, _ = fourteen_day_letter
    content = page_content(pdf)

    for text in (
        "Bakkerij De Korenaar",
        "Dorpsstraat 7",
        "1234 AB  ZAANDAM",
        "Groothandel Noord B.V.",
        "Havenweg 3",
        "Groningen, 3 maart 2025",
        "Ons kenmerk: INC-2025-0042",
        "2025-0001",
        "Totaal openstaand",
    ):
        assert pdf_string(text) in content, text
    text = extracted_text(pdf)
    assert "binnen 14 dagen vanaf de dag nadat deze brief bij u is bezorgd" in text
    assert "incassokosten verschuldigd van € 181,50" in text  # split() turned the nbsp to a space
    assert b"[[invoice-table]]" not in content


def test_recipient_address_sits_in_the_envelope_window(
    fourteen_day_letter: tuple[bytes, Any],
) -> None:
    content = page_content(fourteen_day_letter[0])

    for line in ("Bakkerij De Korenaar", "Dorpsstraat 7", "1234 AB  ZAANDAM"):
        left, top = text_position_mm(content, line)
        assert WINDOW_LEFT < left < WINDOW_LEFT + 10
        assert WINDOW_TOP < top < WINDOW_TOP + WINDOW_HEIGHT
    left, top = text_position_mm(content, "Bakkerij De Korenaar")
    assert RECIPIENT_TOP < top < RECIPIENT_TOP + 6
    assert WINDOW_WIDTH == 85.0


def test_same_letter_gives_the_same_bytes(context_factory: Factory) -> None:
    context = context_factory()
    rendered = render(
        TemplateKey.FINAL_REMINDER, "nl", Tone.FORMAL, context, channel=Channel.LETTER
    )

    assert render_letter_pdf(rendered, context) == render_letter_pdf(rendered, context)


def test_long_letter_breaks_over_pages(context_factory: Factory, invoice_factory: Factory) -> None:
    context = context_factory(invoices=tuple(invoice_factory(f"F-{n:03}") for n in range(60)))
    rendered = render(
        TemplateKey.FINAL_REMINDER, "nl", Tone.FORMAL, context, channel=Channel.LETTER
    )

    pdf = render_letter_pdf(rendered, context)

    assert pdf.count(b"/Type /Page\n") >= 2
    content = page_content(pdf)
    assert pdf_string("F-000") in content and pdf_string("F-059") in content


def test_without_a_postal_address_no_letter(
    context_factory: Factory, debtor_factory: Factory
) -> None:
    context = context_factory(debtor=debtor_factory(address=None))
    rendered = render(
        TemplateKey.FRIENDLY_REMINDER, "nl", Tone.FORMAL, context, channel=Channel.LETTER
    )

    with pytest.raises(MissingPostalAddress):
        render_letter_pdf(rendered, context)


def test_foreign_address_ends_with_the_country() -> None:
    address = PostalAddress(
        "Rue Neuve 1", "1000", "Bruxelles", "BE", attention_of="t.a.v. M. Dupont"
    )

    assert address_lines("Dupont SA", address, "NL", "nl_NL") == [
        "Dupont SA",
        "t.a.v. M. Dupont",
        "Rue Neuve 1",
        "1000 Bruxelles",
        "BELGIË",
    ]


def test_text_outside_the_font_is_written_without_failing(
    context_factory: Factory, debtor_factory: Factory
) -> None:
    assert pdf_text("Łukasz Wójcik-Öztürk \u0131i Ğ 中") == "Lukasz Wójcik-Öztürk ii G ?"
    context = context_factory(debtor=debtor_factory(name="Łukasz Wójcik"))
    rendered = render(
        TemplateKey.FRIENDLY_REMINDER, "nl", Tone.INFORMAL, context, channel=Channel.LETTER
    )

    content = page_content(render_letter_pdf(rendered, context))

    assert pdf_string("Lukasz Wójcik") in content


def test_custom_template_without_the_marker_still_gets_the_table(
    context_factory: Factory,
) -> None:
    from settle_messaging.domain.templates import TemplateSource

    context = context_factory()
    overrides = {("friendly_reminder", "nl"): TemplateSource("Herinnering", "Betaal a.u.b.")}
    rendered = render(
        TemplateKey.FRIENDLY_REMINDER,
        "nl",
        Tone.FORMAL,
        context,
        overrides=overrides,
        channel=Channel.LETTER,
    )

    content = page_content(render_letter_pdf(rendered, context))

    assert pdf_string("Betaal a.u.b.") in content
    assert pdf_string("2025-0001") in content
