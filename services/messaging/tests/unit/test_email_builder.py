from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from settle_messaging.domain.addressing import (
    bounce_address,
    message_id_from_bounce_address,
    message_id_from_header,
    message_id_header,
)
from settle_messaging.domain.email_builder import (
    Attachment,
    Mailbox,
    OutgoingEmail,
    build_email,
    email_bytes,
    header_text,
    validate_email_address,
)
from settle_messaging.domain.errors import InvalidEmailAddress, UnsafeHeaderValue

pytestmark = pytest.mark.unit

DOMAIN = "mail.settle.example.com"
MESSAGE_ID = "0b9c6f5e-2d4f-4a53-9a55-3c1f8c0d7e11"
TOKEN = "a" * 58


def outgoing(**overrides: Any) -> OutgoingEmail:
    fields: dict[str, Any] = {
        "message_id": MESSAGE_ID,
        "mail_domain": DOMAIN,
        "sender": Mailbox("noreply@settle.example.com", "Groothandel Noord B.V."),
        "to": (Mailbox("info@korenaar.example.com", "Bakkerij De Korenaar"),),
        "subject": "Herinnering factuur 2025-0001",
        "text": "Geachte heer/mevrouw,\n\nFactuur 2025-0001 staat nog open: € 1.210,00.\n",
        "html": "<p>Geachte heer/mevrouw,</p><p>€ 1.210,00</p>",
        "sent_at": datetime(2025, 3, 3, 9, 30, tzinfo=timezone(timedelta(hours=1))),
        "reply_token": TOKEN,
    }
    fields.update(overrides)
    return OutgoingEmail(**fields)


def reparse(message: EmailMessage) -> EmailMessage:
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_builds_multipart_alternative_with_text_and_html() -> None:
    message = reparse(build_email(outgoing()))

    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "€ 1.210,00" in text.get_content()
    assert "<p>€ 1.210,00</p>" in html.get_content()
    assert message["From"] == '"Groothandel Noord B.V." <noreply@settle.example.com>'
    assert message["To"] == "Bakkerij De Korenaar <info@korenaar.example.com>"
    assert message["Subject"] == "Herinnering factuur 2025-0001"
    assert message["Date"] == "Mon, 03 Mar 2025 09:30:00 +0100"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_all("MIME-Version") == ["1.0"]


def test_message_id_and_bytes_are_stable_across_retries() -> None:
    first = build_email(outgoing())
    second = build_email(outgoing())

    assert first["Message-ID"] == f"<{MESSAGE_ID}@{DOMAIN}>"
    assert first.as_bytes() == second.as_bytes()
    assert message_id_from_header(first["Message-ID"], DOMAIN) == MESSAGE_ID


def test_reply_to_routes_answers_into_the_thread() -> None:
    message = build_email(outgoing())

    assert message["Reply-To"] == f"reply+{TOKEN}@{DOMAIN}"
    assert "Reply-To" not in build_email(outgoing(reply_token=None))


def test_lines_use_crlf_as_smtp_requires() -> None:
    raw = build_email(outgoing()).as_bytes()

    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_pdf_attachment_makes_it_multipart_mixed() -> None:
    pdf = b"%PDF-1.4\n%fake\n%%EOF"
    message = reparse(
        build_email(outgoing(attachments=(Attachment("../../aanmaning\r\n.pdf", pdf),)))
    )

    assert message.get_content_type() == "multipart/mixed"
    parts = list(message.iter_parts())
    assert parts[0].get_content_type() == "multipart/alternative"
    attachment = parts[1]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "_.._aanmaning .pdf"
    assert attachment.get_payload(decode=True) == pdf


INJECTIONS = [
    "Jan\r\nBcc: evil@attacker.example",
    "Jan\nBcc: evil@attacker.example",
    "Jan\rBcc: evil@attacker.example",
    "Jan\u2028Bcc: evil@attacker.example",
    "Jan\x00\r\n\r\n<html>body</html>",
]


@pytest.mark.parametrize("name", INJECTIONS)
def test_crlf_in_a_debtor_name_cannot_add_a_header(name: str) -> None:
    message = build_email(outgoing(to=(Mailbox("info@korenaar.example.com", name),)))

    _assert_no_injected_header(message)
    assert "Jan" in str(reparse(message)["To"])


@pytest.mark.parametrize("subject", INJECTIONS)
def test_crlf_in_a_subject_cannot_add_a_header(subject: str) -> None:
    message = build_email(outgoing(subject=subject))

    _assert_no_injected_header(message)
    assert reparse(message)["Subject"].startswith("Jan ")


@pytest.mark.parametrize(
    "address",
    [
        "info@korenaar.example.com\r\nBcc: evil@attacker.example",
        "info@korenaar.example.com\nBcc: evil@attacker.example",
        "info@korenaar.example.com>\r\nBcc: <evil@attacker.example",
    ],
)
def test_crlf_in_an_address_is_refused(address: str) -> None:
    with pytest.raises(InvalidEmailAddress):
        build_email(outgoing(to=(Mailbox(address, "Jan"),)))


def _assert_no_injected_header(message: EmailMessage) -> None:
    raw = message.as_bytes()
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    for line in header_block.split(b"\r\n"):
        assert not line.lower().startswith(b"bcc"), line
    assert b"\r\nBcc:" not in raw
    assert reparse(message)["Bcc"] is None
    assert "Bcc" not in reparse(message)


def test_non_ascii_names_are_encoded_and_survive() -> None:
    message = reparse(
        build_email(outgoing(to=(Mailbox("jose@example.com", 'José Müller-Łukasz, "BV"'),)))
    )

    address = message["To"].addresses[0]
    assert address.display_name == 'José Müller-Łukasz, "BV"'
    assert address.addr_spec == "jose@example.com"


@pytest.mark.parametrize(
    "address",
    ["", "   ", "no-at-sign", "jan@", "@example.com", "jan@localhost", "a..b@example.com",
     "jan@exa mple.com", "jän@example.com", "jan@@example.com", "jan@example..com"],
)  # fmt: skip
def test_invalid_addresses_are_a_domain_error(address: str) -> None:
    with pytest.raises(InvalidEmailAddress) as caught:
        validate_email_address(address)
    assert caught.value.code == "invalid_email_address"


def test_valid_addresses_are_normalised() -> None:
    assert validate_email_address(" Jan@Example.COM ") == "Jan@example.com"
    assert validate_email_address("jan@bücher.de") == "jan@xn--bcher-kva.de"
    assert validate_email_address("jan@debtor.test", allow_test_domains=True) == "jan@debtor.test"


def test_an_invalid_recipient_fails_the_build_with_a_domain_error() -> None:
    with pytest.raises(InvalidEmailAddress):
        build_email(outgoing(to=(Mailbox("not an address"),)))
    with pytest.raises(InvalidEmailAddress):
        build_email(outgoing(to=()))


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        build_email(outgoing(sent_at=datetime(2025, 3, 3, 9, 30)))


@pytest.mark.parametrize("message_id", ["abc\r\nBcc: x", "a b", "", "<abc>", "a@b"])
def test_unsafe_message_ids_are_refused(message_id: str) -> None:
    with pytest.raises(UnsafeHeaderValue):
        build_email(outgoing(message_id=message_id))


def test_threading_headers() -> None:
    message = build_email(
        outgoing(
            in_reply_to="<CAF=abc@mail.gmail.com>",
            references=(f"<{MESSAGE_ID}@{DOMAIN}>", "<CAF=abc@mail.gmail.com>"),
            auto_submitted=False,
        )
    )

    assert message["In-Reply-To"] == "<CAF=abc@mail.gmail.com>"
    assert message["References"] == f"<{MESSAGE_ID}@{DOMAIN}> <CAF=abc@mail.gmail.com>"
    assert "Auto-Submitted" not in message
    with pytest.raises(UnsafeHeaderValue):
        build_email(outgoing(in_reply_to="<a@b>\r\nBcc: x@y.example"))


def test_text_only_email() -> None:
    message = build_email(replace(outgoing(), html=None))

    assert message.get_content_type() == "text/plain"


def test_header_text_flattens_every_kind_of_line_break() -> None:
    assert header_text("a\r\nb\nc\rd\u2028e\u0085f\tg") == "a b c d e f g"
    assert header_text("x" * 300, 10) == "xxxxxxxxx…"


def test_message_id_helpers() -> None:
    assert message_id_header("abc-1", "Mail.Example.COM") == "<abc-1@mail.example.com>"
    assert message_id_from_header("<abc-1@other.example.com>", DOMAIN) is None
    assert message_id_from_header("not a message id", DOMAIN) is None
    assert message_id_from_header(None, DOMAIN) is None
    with pytest.raises(UnsafeHeaderValue):
        message_id_header("abc", "bad domain")


BOUNCE_SECRET = b"a-bounce-secret-of-32-bytes-or-more"


def test_bounce_address_round_trip() -> None:
    address = bounce_address(MESSAGE_ID, DOMAIN, BOUNCE_SECRET)

    assert re.fullmatch(rf"bounce\+{MESSAGE_ID}=[a-z2-7]{{16}}@{re.escape(DOMAIN)}", address)
    assert message_id_from_bounce_address(f"<{address}>", DOMAIN, BOUNCE_SECRET) == MESSAGE_ID
    assert message_id_from_bounce_address(address, "other.example.com", BOUNCE_SECRET) is None
    assert message_id_from_bounce_address(f"reply+x@{DOMAIN}", DOMAIN, BOUNCE_SECRET) is None


def test_a_bounce_address_without_its_signature_is_not_ours() -> None:
    address = bounce_address(MESSAGE_ID, DOMAIN, BOUNCE_SECRET)
    local, _, domain = address.partition("@")
    unsigned = f"bounce+{MESSAGE_ID}@{DOMAIN}"
    tampered = f"{local[:-1]}{'a' if local[-1] != 'a' else 'b'}@{domain}"
    other_message = address.replace(MESSAGE_ID, MESSAGE_ID[::-1])
    for forged in (unsigned, tampered, other_message):
        assert message_id_from_bounce_address(forged, DOMAIN, BOUNCE_SECRET) is None, forged
    assert message_id_from_bounce_address(address, DOMAIN, b"another-secret" * 3) is None


def test_sent_at_in_utc_is_fine() -> None:
    message = build_email(outgoing(sent_at=datetime(2025, 3, 3, 8, 30, tzinfo=UTC)))

    assert message["Date"] == "Mon, 03 Mar 2025 08:30:00 +0000"


# --- the direct writer, against the reference built with the email package -------------------

VARIANTS: dict[str, dict[str, Any]] = {
    "text and html": {},
    "text only": {"html": None},
    "non-ascii name with specials": {
        "to": (Mailbox("jose@example.com", 'José Müller-Łukasz, "BV"'),)
    },
    "long non-ascii name": {"to": (Mailbox("jose@example.com", "Łukasz Żółć " * 12),)},
    "long ascii subject": {"subject": "Reminder for invoice 2025-0001 and others " * 5},
    "long non-ascii subject": {"subject": "Herinnering fäctuur € 1.210,00 " * 8},
    "crlf in a name and a subject": {
        "to": (Mailbox("info@korenaar.example.com", "Evil\r\nBcc: victim@example.com"),),
        "subject": "Hi\r\nBcc: other@example.com",
    },
    "several recipients and cc": {
        "to": (Mailbox("a@example.com", "A. de Vries"), Mailbox("b@example.com", "Ça va")),
        "cc": (Mailbox("c@example.com"),),
    },
    "threading, not auto-submitted, no reply token": {
        "in_reply_to": "<CAF=abc@mail.gmail.com>",
        "references": (f"<{MESSAGE_ID}@{DOMAIN}>", "<CAF=abc@mail.gmail.com>"),
        "auto_submitted": False,
        "reply_token": None,
    },
    "awkward bodies": {
        "text": "x" * 200 + "   \r\nregel = teken\rtab\there\n.\nFrom here\n\n\n",
        "html": "<p>" + "é" * 120 + "</p>\n<p>=_settle_</p>",
    },
}


@pytest.mark.parametrize("changes", VARIANTS.values(), ids=list(VARIANTS))
def test_the_direct_writer_gives_the_mail_the_reference_gives(changes: dict[str, Any]) -> None:
    reference = reparse(build_email(outgoing(**changes)))
    raw = email_bytes(outgoing(**changes))
    direct = message_from_bytes(raw, policy=policy.default)

    assert sorted(direct.keys()) == sorted(reference.keys())
    for name in reference.keys():
        mine, theirs = str(direct[name]), str(reference[name])
        if name in ("From", "To", "Cc"):
            # A long name takes several encoded words, split where each writer chooses; the
            # standard parser then shows a space at the seams, in the reference's too.
            mine, theirs = "".join(mine.split()), "".join(theirs.split())
        assert mine == theirs, name
    assert [part.get_content_type() for part in direct.walk()] == [
        part.get_content_type() for part in reference.walk()
    ]
    for part, reference_part in zip(direct.walk(), reference.walk(), strict=True):
        if not part.is_multipart():
            assert part.get_content() == reference_part.get_content()
            assert part["Content-Transfer-Encoding"] == "quoted-printable"
    assert not direct.defects and not any(part.defects for part in direct.walk())
    assert b"\n" not in raw.replace(b"\r\n", b"")
    # Folded to 78 where a header can be; only the reply address is one unbreakable word.
    long = [line for line in raw.split(b"\r\n") if len(line) > 78]
    assert all(line.startswith(b"Reply-To: ") and len(line) < 998 for line in long), long
    assert email_bytes(outgoing(**changes)) == raw  # a resend is the same bytes


def test_the_direct_writer_refuses_what_the_reference_refuses() -> None:
    refused: list[tuple[dict[str, Any], type[Exception]]] = [
        ({"to": (Mailbox("info@korenaar.example.com\r\nBcc: evil@attacker.example"),)},
         InvalidEmailAddress),
        ({"to": ()}, InvalidEmailAddress),
        ({"sender": Mailbox("not an address")}, InvalidEmailAddress),
        ({"sent_at": datetime(2025, 3, 3, 9, 30)}, ValueError),
        ({"message_id": "abc\r\nBcc: x"}, UnsafeHeaderValue),
        ({"in_reply_to": "<a@b>\r\nBcc: x@y.example"}, UnsafeHeaderValue),
    ]  # fmt: skip
    for changes, error in refused:
        with pytest.raises(error):
            email_bytes(outgoing(**changes))


def test_the_direct_writer_leaves_attachments_to_the_reference() -> None:
    with_pdf = outgoing(attachments=(Attachment("aanmaning.pdf", b"%PDF-1.4 test"),))
    assert email_bytes(with_pdf) == build_email(with_pdf).as_bytes()
