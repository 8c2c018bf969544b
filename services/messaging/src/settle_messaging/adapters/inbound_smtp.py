"""The inbound SMTP endpoint: debtors' replies to ``reply+<token>@<domain>`` and bounces to
``bounce+<message id>@<domain>``.

Recipients are checked at RCPT time, so a mail for anyone else, or with a tampered or expired
token, is refused before its content is even transferred. The server runs on the service's own
event loop (aiosmtpd's `SMTP` protocol behind `loop.create_server`, which is what its
`Controller` does in a thread of its own): the handler then uses the service's database engine
directly, with no hop between event loops.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from settle_messaging.application.context import Messaging
from settle_messaging.application.inbound import receive_bounce, receive_mail_reply
from settle_messaging.domain.addressing import (
    message_id_from_bounce_address,
    token_from_reply_address,
)
from settle_messaging.domain.errors import (
    InboundMailRefused,
    InvalidReplyAddress,
    InvalidReplyToken,
    NotADeliveryReport,
)
from settle_messaging.domain.inbound import parse_inbound_mail
from settle_messaging.domain.reply_tokens import verify_reply_token
from settle_shared.logs import get_logger

log = get_logger(__name__)


class InboundHandler:
    """aiosmtpd handler: accepts replies and bounces for this service's addresses only."""

    def __init__(self, messaging: Messaging) -> None:
        self._messaging = messaging

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        domain = self._messaging.settings.mail_domain
        secret = self._messaging.reply_secret
        if message_id_from_bounce_address(address, domain, secret) is not None:
            envelope.rcpt_tos.append(address)
            return "250 OK"
        try:
            token = token_from_reply_address(address, domain)
            verify_reply_token(token, self._messaging.now(), self._messaging.reply_secret)
        except (InvalidReplyAddress, InvalidReplyToken) as exc:
            log.info("inbound recipient refused", recipient=address, reason=exc.code)
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        settings = self._messaging.settings
        domain = settings.mail_domain
        try:
            reply = None
            # One mail is one reply or report per address, however often RCPT named it.
            for recipient in dict.fromkeys(envelope.rcpt_tos):
                bounced = message_id_from_bounce_address(
                    recipient, domain, self._messaging.reply_secret
                )
                if bounced is not None:
                    await self._bounce(bounced, raw)
                    continue
                token = token_from_reply_address(recipient, domain)
                reply = reply or parse_inbound_mail(raw, max_bytes=settings.inbound_max_bytes)
                await receive_mail_reply(self._messaging, token, reply, len(raw))
        except (InboundMailRefused, InvalidReplyToken, InvalidReplyAddress) as exc:
            log.info("inbound mail refused", reason=exc.code, detail=str(exc))
            return f"550 5.6.0 {exc.code}"
        except Exception as exc:
            # Our trouble (the database away): the sending server keeps the mail and retries.
            log.error("inbound mail not stored", error=repr(exc))
            return "451 4.3.0 Try again later"
        return "250 Message accepted"

    async def _bounce(self, message_id: str, raw: bytes) -> None:
        try:
            recorded = await receive_bounce(self._messaging, message_id, raw)
        except NotADeliveryReport:
            # Some servers send a plain mail to the envelope sender; nothing to classify.
            log.info("mail to a bounce address is no delivery report", message_id=message_id)
            return
        log.info("delivery report received", message_id=message_id, bounces=recorded)


async def serve_inbound(messaging: Messaging, stop: asyncio.Event) -> None:
    """Run the inbound SMTP endpoint until told to stop (a background task of the service)."""
    settings = messaging.settings
    if settings.inbound_smtp_port == 0:
        return
    handler = InboundHandler(messaging)

    def protocol() -> Any:
        return SMTP(
            handler,
            data_size_limit=settings.inbound_max_bytes,
            hostname=settings.mail_domain,
            ident="Settle messaging",
        )

    loop = asyncio.get_running_loop()
    try:
        server = await loop.create_server(
            protocol, host=settings.inbound_smtp_host, port=settings.inbound_smtp_port
        )
    except OSError as exc:
        log.error("inbound smtp cannot listen", port=settings.inbound_smtp_port, error=repr(exc))
        return
    log.info(
        "inbound smtp listening", host=settings.inbound_smtp_host, port=settings.inbound_smtp_port
    )
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
