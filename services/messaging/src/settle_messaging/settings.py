"""The messaging service's settings (environment variables with the prefix SETTLE_MESSAGING_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from settle_shared.portal_links import DEVELOPMENT_SECRET as DEVELOPMENT_PORTAL_SECRET
from settle_shared.settings import PLACEHOLDER_SECRET, ServiceSettings

# A reply-token secret needs at least 32 bytes; the placeholder is long enough to run in
# development and is refused in production.
PLACEHOLDER_REPLY_SECRET = f"{PLACEHOLDER_SECRET}-{PLACEHOLDER_SECRET}-{PLACEHOLDER_SECRET}-dev"


class MessagingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SETTLE_MESSAGING_", extra="ignore", frozen=True)

    database_url: str = Field(
        "sqlite+aiosqlite:///var/messaging.db", description="the messaging service's database"
    )
    http_port: int = Field(8003, ge=1, le=65535, description="port of the messaging API")

    smtp_host: str = Field("127.0.0.1", description="SMTP server outgoing mail goes to")
    smtp_port: int = Field(1025, ge=1, le=65535, description="port of the SMTP server")
    smtp_mode: Literal["plain", "starttls", "tls"] = Field(
        "plain", description="plain, starttls (upgrade after connecting) or tls (implicit TLS)"
    )
    smtp_username: str | None = Field(None, description="SMTP login, when the server needs one")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    smtp_connections: int = Field(
        4,
        ge=1,
        le=32,
        description="SMTP connections the sender uses at once (each debtor's mail on one)",
    )
    smtp_timeout_s: float = Field(30.0, gt=0, description="timeout of one SMTP command")
    smtp_retry_initial_s: float = Field(
        5.0, gt=0, description="first wait before retrying after a transient SMTP error (doubles)"
    )
    smtp_retry_max_s: float = Field(600.0, gt=0, description="longest wait between retries")
    smtp_give_up_after_h: float = Field(
        72.0, gt=0, description="a message still refused transiently after this long fails"
    )
    send_batch_size: int = Field(200, ge=1, description="queued messages the sender takes at once")
    send_poll_interval_s: float = Field(
        0.5, gt=0, description="how often the sender looks for queued messages when idle"
    )
    mail_domain: str = Field(
        "settle.example.com",
        description="domain of Message-IDs and of the reply+… and bounce+… addresses",
    )
    from_address: str = Field(
        "debiteuren@settle.example.com",
        description="From address when the administration has not set its own",
    )
    from_name: str = Field("Settle", description="From name when the administration has none")
    reply_token_secret: SecretStr = Field(
        SecretStr(PLACEHOLDER_REPLY_SECRET),
        description="secret (32+ bytes) that signs reply tokens; must be set in production",
    )
    reply_token_days: int = Field(120, ge=1, description="how long a reply link stays valid")
    portal_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="public URL of the gateway: a reminder's payment link is "
        "<url>/portal/<token>, its reply link <url>/portal/<token>/reply",
    )
    portal_link_secret: SecretStr = Field(
        SecretStr(DEVELOPMENT_PORTAL_SECRET),
        description="secret (32+ bytes) that signs portal links; the gateway's "
        "SETTLE_GATEWAY_PORTAL_LINK_SECRET must be the same; must be set in production",
    )
    portal_link_days: int = Field(
        120, ge=1, le=3650, description="how long the portal link of a message stays valid"
    )
    rate_limit_per_minute: int = Field(
        600, ge=0, description="emails one administration may send per minute (0: no limit)"
    )
    inbound_smtp_host: str = Field("127.0.0.1", description="address the inbound SMTP binds")
    inbound_smtp_port: int = Field(
        2525, ge=0, le=65535, description="port receiving replies and bounces (0: off)"
    )
    inbound_max_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="largest inbound mail accepted"
    )
    bounce_policy: Literal["block", "letter", "both"] = Field(
        "block",
        description="default for a hard bounce: block the address, fall back to a letter, "
        "or both (an administration may choose its own)",
    )

    @model_validator(mode="after")
    def _reply_secret_long_enough(self) -> MessagingSettings:
        secret = self.reply_token_secret.get_secret_value()
        if len(secret.encode()) < 32:
            raise ValueError("reply_token_secret: at least 32 bytes")
        if len(self.portal_link_secret.get_secret_value().encode()) < 32:
            raise ValueError("portal_link_secret: at least 32 bytes")
        return self
