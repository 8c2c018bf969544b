"""The own partner's dossier by SMTP (aiosmtplib), one connection per mail: dossiers are few."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from settle_collection.application.ports import OutgoingMail
from settle_collection.settings import CollectionSettings
from settle_shared.clock import Clock


class SmtpMailer:
    def __init__(self, settings: CollectionSettings, clock: Clock) -> None:
        self.settings, self.clock = settings, clock

    async def send(self, mail: OutgoingMail) -> None:
        settings = self.settings
        message = EmailMessage()
        message["From"] = settings.from_address
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = mail.message_id
        message["Date"] = format_datetime(self.clock.now())
        message.set_content(mail.text)
        for attachment in mail.attachments:
            main, sub = attachment.mime_type.split("/", 1)
            message.add_attachment(
                attachment.content, maintype=main, subtype=sub, filename=attachment.filename
            )
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            timeout=settings.smtp_timeout_s,
            use_tls=settings.smtp_mode == "tls",
            start_tls=settings.smtp_mode == "starttls",
            username=settings.smtp_username,
            password=password,
            tls_context=ssl.create_default_context() if settings.smtp_mode != "plain" else None,
        )
