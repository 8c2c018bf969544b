from __future__ import annotations

from pathlib import Path

import pytest

from settle_messaging.domain.addressing import token_from_reply_address
from settle_messaging.domain.errors import InboundMailTooLarge, MalformedInboundMail
from settle_messaging.domain.inbound import (
    display_html,
    html_to_text,
    parse_inbound_mail,
    strip_quoted_history,
)

pytestmark = pytest.mark.unit

DATA = Path(__file__).parent.parent / "data"
DOMAIN = "mail.settle.example.com"
TOKEN = "aebkqwegz2zu2jmfjl5xz2qbkmvwphasqc44vk3imamduboc4crbfwlm2m"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_gmail_reply_keeps_the_answer_and_drops_the_quote() -> None:
    reply = parse_inbound_mail(sample("reply_gmail_plain.eml"))

    assert reply.sender == "jan.devries@gmail.example.com"
    assert reply.sender_name == "Jan de Vries"
    assert reply.subject == "Re: Herinnering factuur 2025-0001"
    assert reply.text == (
        "Goedemorgen,\n\nDeze factuur is vorige week al betaald, zie bijgaand betaalbewijs.\n"
        "Kunt u dit controleren?\n\nGroet,\nJan"
    )
    assert "Volgens onze administratie" in reply.full_text
    assert not reply.from_html
    assert not reply.is_auto_reply
    assert reply.in_reply_to == "<0b9c6f5e-2d4f-4a53-9a55-3c1f8c0d7e11@mail.settle.example.com>"
    assert reply.references == ("<0b9c6f5e-2d4f-4a53-9a55-3c1f8c0d7e11@mail.settle.example.com>",)


def test_the_reply_address_leads_to_the_token() -> None:
    reply = parse_inbound_mail(sample("reply_gmail_plain.eml"))

    assert [token_from_reply_address(address, DOMAIN) for address in reply.recipients] == [TOKEN]


def test_outlook_reply_in_dutch_with_attachment() -> None:
    reply = parse_inbound_mail(sample("reply_outlook_nl.eml"))

    assert reply.text.endswith("Met vriendelijke groet,\nMariëlle Smit")
    assert "Van: Groothandel" not in reply.text
    assert "____" not in reply.text
    assert [(a.filename, a.content_type) for a in reply.attachments] == [
        ("betaalbewijs.pdf", "application/pdf")
    ]
    assert reply.attachments[0].content.startswith(b"%PDF")


def test_html_from_a_debtor_becomes_text_and_is_escaped_when_shown() -> None:
    reply = parse_inbound_mail(sample("reply_html_only.eml"))

    assert reply.from_html
    assert "Wij hebben geen factuur ontvangen & betalen pas na ontvangst." in reply.text
    # tags and scripts are gone, an escaped script in the source is only text now
    assert "alert('head')" not in reply.text
    assert "alert(4)" not in reply.text
    assert "<b>" not in reply.text
    assert "<script>alert(2)</script>" in reply.text
    assert "oude tekst" not in reply.text  # the blockquote was quoted history
    assert "oude tekst" in reply.full_text

    shown = display_html(reply.text)
    assert "<script>" not in shown
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in shown
    assert "&amp; betalen" in shown


def test_display_html_escapes_everything_and_keeps_lines() -> None:
    assert display_html('<img src=x onerror="alert(1)">\r\nok') == (
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;<br>\nok"
    )


def test_out_of_office_is_flagged_as_automatic() -> None:
    reply = parse_inbound_mail(sample("not_a_dsn_out_of_office.eml"))

    assert reply.is_auto_reply
    assert reply.text == "Ik ben tot en met 10 maart afwezig."


def test_oversized_mail_is_refused_before_parsing() -> None:
    raw = sample("reply_gmail_plain.eml")

    with pytest.raises(InboundMailTooLarge):
        parse_inbound_mail(raw, max_bytes=len(raw) - 1)
    assert parse_inbound_mail(raw, max_bytes=len(raw)).sender


MALFORMED = {
    "empty": b"",
    "whitespace": b"\r\n\r\n  ",
    "no headers": b"just some text without any header\n\nand more\n",
    "no sender": b"To: x@example.com\r\nSubject: hi\r\n\r\nbody\r\n",
    "sender not an address": b"From: nobody\r\nSubject: hi\r\n\r\nbody\r\n",
    "no text": (
        b"From: a@example.com\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: application/octet-stream\r\n\r\nAAAA\r\n"
    ),
    "multipart without boundary": (
        b"From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\ntext\r\n"
    ),
    "boundary never starts": (
        b"From: a@example.com\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="zz"\r\n\r\nno parts here\r\n'
    ),
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_mail_is_refused(raw: bytes) -> None:
    with pytest.raises(MalformedInboundMail):
        parse_inbound_mail(raw)


def test_too_many_parts_is_refused() -> None:
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % n for n in range(150))
    raw = (
        b"From: a@example.com\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + parts + b"--b--\r\n"
    )

    with pytest.raises(MalformedInboundMail):
        parse_inbound_mail(raw)


def test_unknown_charset_does_not_crash() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: text/plain; charset=x-unknown-charset\r\n\r\n"
        b"Betaald op 1 maart.\r\n"
    )

    assert parse_inbound_mail(raw).text == "Betaald op 1 maart."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ja.\n\nOp ma 3 mrt 2025 om 09:30 schreef Groothandel <x@y.nl>:\n> oud", "Ja."),
        ("Ja.\n\nAm Mo., 3. März 2025 um 09:30 Uhr schrieb Groothandel <x@y.de>:\n> alt", "Ja."),
        ("Oui.\n\nLe lun. 3 mars 2025 à 09:30, Groothandel <x@y.fr> a écrit :\n> vieux", "Oui."),
        ("Yes.\n\n-----Original Message-----\nFrom: x\nSent: y\n\nold", "Yes."),
        ("Ja.\n\n-----Oorspronkelijk bericht-----\nVan: x\n\noud", "Ja."),
        ("Yes.\n\nFrom: Groothandel <x@y.nl>\nSent: Monday\nTo: me\n\nold", "Yes."),
        ("Mijn antwoord\n> quoted\n> more", "Mijn antwoord"),
        ("> only a quote", "> only a quote"),  # nothing left: keep everything
        ("From my side: all paid.\nThanks", "From my side: all paid.\nThanks"),
    ],
)
def test_strip_quoted_history(text: str, expected: str) -> None:
    assert strip_quoted_history(text) == expected


def test_html_to_text_keeps_structure() -> None:
    html = (
        "<div>Regel 1<br>Regel 2</div><p>Alinea&nbsp;2 &euro; 10</p><ul><li>a</li><li>b</li></ul>"
    )

    assert html_to_text(html) == "Regel 1\nRegel 2\n\nAlinea\xa02 € 10\n\na\nb"
