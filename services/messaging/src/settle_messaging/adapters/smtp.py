"""Outgoing mail over one reused SMTP connection (aiosmtplib).

Every failure is sorted into what the sender does next: try again later (the server is down,
busy or answered 4xx), give the message up (5xx for the whole message) or record a bounce (5xx
for its recipients). Nothing else escapes, so one bad message never stops the sender.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence

import aiosmtplib

from settle_messaging.domain.sending import (
    Delivered,
    Permanent,
    RecipientsRefused,
    SendOutcome,
    Transient,
)
from settle_messaging.settings import MessagingSettings
from settle_shared.logs import get_logger

log = get_logger(__name__)

__all__ = [
    "Delivered",
    "Permanent",
    "RecipientsRefused",
    "SendOutcome",
    "SmtpTransport",
    "Transient",
]


class SmtpTransport:
    """One SMTP connection, opened on first use and kept for the next message."""

    def __init__(self, settings: MessagingSettings) -> None:
        self._settings = settings
        self._client: aiosmtplib.SMTP | None = None

    def _new_client(self) -> aiosmtplib.SMTP:
        settings = self._settings
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            timeout=settings.smtp_timeout_s,
            use_tls=settings.smtp_mode == "tls",
            # False, not None: a "plain" server must never be upgraded behind our back, and a
            # "starttls" one must fail rather than fall back to plain text.
            start_tls=settings.smtp_mode == "starttls",
            username=settings.smtp_username,
            password=password,
            tls_context=ssl.create_default_context() if settings.smtp_mode != "plain" else None,
        )

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        self._client = self._new_client()
        await self._client.connect()
        return self._client

    async def send(self, sender: str, recipients: Sequence[str], data: bytes) -> SendOutcome:
        """Send one message; the envelope sender receives the bounces."""
        try:
            client = await self._connected()
            refused, _ = await client.sendmail(sender, list(recipients), data)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = {r.recipient: (r.code, r.message) for r in exc.recipients}
            return RecipientsRefused(codes, all(code >= 500 for code, _ in codes.values()))
        except aiosmtplib.SMTPResponseException as exc:
            if isinstance(exc, aiosmtplib.SMTPConnectResponseError) or exc.code < 500:
                await self.close()
                return Transient(f"{exc.code} {exc.message}")
            if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
                # Our configuration, not the message: keep it queued until someone fixes it.
                await self.close()
                return Transient(f"authentication refused: {exc.code} {exc.message}")
            return Permanent(exc.code, f"{exc.code} {exc.message}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.close()
            return Transient(f"{type(exc).__name__}: {exc}")
        return Delivered({r: (resp.code, resp.message) for r, resp in refused.items()})

    async def close(self) -> None:
        """Say goodbye if the server still listens; drop the connection either way."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()
