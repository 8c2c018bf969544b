from __future__ import annotations

from pathlib import Path

import pytest

from settle_messaging.domain.addressing import (
    bounce_address,
    message_id_from_bounce_address,
    message_id_from_header,
)
from settle_messaging.domain.bounces import (
    BounceKind,
    classify_delivery_report,
    classify_smtp_rejection,
    classify_status,
)
from settle_messaging.domain.errors import InboundMailTooLarge, NotADeliveryReport

pytestmark = pytest.mark.unit

DATA = Path(__file__).parent.parent / "data"
DOMAIN = "mail.settle.example.com"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_postfix_user_unknown_is_a_hard_bounce() -> None:
    [bounce] = classify_delivery_report(sample("dsn_postfix_user_unknown.eml"))

    assert bounce.kind is BounceKind.HARD
    assert bounce.recipient == "info@korenaar.example.com"
    assert bounce.status == "5.1.1"
    assert bounce.action == "failed"
    assert bounce.diagnostic is not None and bounce.diagnostic.startswith("550 5.1.1")
    assert bounce.reporting_mta == "mx1.settle.example.com"
    assert (
        message_id_from_header(bounce.original_message_id, DOMAIN)
        == "0b9c6f5e-2d4f-4a53-9a55-3c1f8c0d7e11"
    )


def test_gmail_delay_is_a_soft_bounce() -> None:
    [bounce] = classify_delivery_report(sample("dsn_gmail_delayed.eml"))

    assert bounce.kind is BounceKind.SOFT
    assert bounce.action == "delayed"
    assert bounce.status == "4.4.1"
    assert bounce.recipient == "boekhouding@vandijk-installatie.example.nl"
    assert (
        message_id_from_header(bounce.original_message_id, DOMAIN)
        == "7d1e2f30-aa41-4c3b-8f9e-2b6d0c4e5f61"
    )


def test_a_4xx_status_stays_soft_even_when_the_server_gave_up() -> None:
    [bounce] = classify_delivery_report(sample("dsn_postfix_expired_4xx.eml"))

    assert bounce.kind is BounceKind.SOFT
    assert bounce.action == "failed"
    assert bounce.status == "4.4.1"


def test_only_the_failed_recipient_of_two_is_reported() -> None:
    bounces = classify_delivery_report(sample("dsn_exchange_two_recipients.eml"))

    assert [(b.kind, b.recipient, b.status) for b in bounces] == [
        (BounceKind.HARD, "inkoop@bouwbedrijf-jansen.example.nl", "5.1.10")
    ]
    assert (
        message_id_from_header(bounces[0].original_message_id, DOMAIN)
        == "5e6f7081-92a3-4b4c-8d5e-6f708192a3b4"
    )


def test_failed_without_status_falls_back_to_the_smtp_code() -> None:
    [bounce] = classify_delivery_report(sample("dsn_no_status.eml"))

    assert bounce.kind is BounceKind.HARD
    assert bounce.status is None
    assert bounce.recipient == "old-address@legacy-mta.example.org"
    assert bounce.original_message_id is None


def test_the_envelope_recipient_still_identifies_the_message() -> None:
    # a report that quotes nothing of the original is tied to it by the VERP address
    secret = b"a-bounce-secret-of-32-bytes-or-more"
    message_id = "11111111-2222-4333-8444-555555555555"
    address = bounce_address(message_id, DOMAIN, secret)
    assert message_id_from_bounce_address(address, DOMAIN, secret) == message_id


def test_an_ordinary_mail_is_not_a_delivery_report() -> None:
    with pytest.raises(NotADeliveryReport):
        classify_delivery_report(sample("not_a_dsn_out_of_office.eml"))
    with pytest.raises(NotADeliveryReport):
        classify_delivery_report(sample("reply_gmail_plain.eml"))


def test_a_report_without_a_status_part_is_not_a_delivery_report() -> None:
    raw = (
        b"From: MAILER-DAEMON@example.org\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b--\r\n"
    )

    with pytest.raises(NotADeliveryReport):
        classify_delivery_report(raw)


def test_an_oversized_report_is_refused() -> None:
    raw = sample("dsn_postfix_user_unknown.eml")

    with pytest.raises(InboundMailTooLarge):
        classify_delivery_report(raw, max_bytes=100)


@pytest.mark.parametrize(
    ("code", "message", "kind", "status"),
    [
        (550, "5.1.1 <jan@example.com>: Recipient address rejected: User unknown", "hard", "5.1.1"),
        (554, "Transaction failed", "hard", None),
        (552, "5.2.2 Mailbox full", "hard", "5.2.2"),
        (421, "4.7.0 Try again later, closing connection", "soft", "4.7.0"),
        (451, "Greylisted, please try again in 5 minutes", "soft", None),
        (452, "4.2.2 Over quota", "soft", "4.2.2"),
    ],
)
def test_smtp_rejections(code: int, message: str, kind: str, status: str | None) -> None:
    bounce = classify_smtp_rejection(code, message, recipient="jan@example.com")

    assert bounce.kind == kind
    assert bounce.status == status
    assert bounce.recipient == "jan@example.com"
    assert bounce.diagnostic is not None and bounce.diagnostic.startswith(str(code))


@pytest.mark.parametrize("code", [250, 354, 220, 0, 600])
def test_success_codes_are_not_rejections(code: int) -> None:
    with pytest.raises(ValueError):
        classify_smtp_rejection(code)


def test_classify_status() -> None:
    assert classify_status("5.7.1") is BounceKind.HARD
    assert classify_status("4.2.2 (mailbox full)") is BounceKind.SOFT
    assert classify_status("2.0.0") is None
    assert classify_status("garbage") is None
