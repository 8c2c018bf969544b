"""The collection service's settings (environment variables with the prefix SETTLE_COLLECTION_).
What each administration chooses (automatic opening, VAT on costs, its partner, …) is not here:
it is kept per administration and set through the API."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from settle_shared.settings import ServiceSettings


class CollectionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SETTLE_COLLECTION_", extra="ignore", frozen=True)

    database_url: str = Field(
        "sqlite+aiosqlite:///var/collection.db", description="the collection service's database"
    )
    http_port: int = Field(8005, ge=1, le=65535, description="port of the collection API")
    time_zone: str = Field("Europe/Amsterdam", description="time zone in which business dates fall")
    schedule_enabled: bool = Field(
        True,
        description="take cases' steps by themselves (each after the administration's "
        "step_days) and forward them when the administration chose so",
    )
    schedule_poll_s: float = Field(
        60.0, gt=0, description="how often the service looks for cases whose step is due"
    )
    schedule_batch_size: int = Field(
        200, ge=1, description="cases the step run handles per transaction"
    )
    partners_file: Path | None = Field(
        None,
        description="a JSON registry of judicial collection partners in place of the one "
        "shipped (data/partners.json)",
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP server an own partner's dossier goes to")
    smtp_port: int = Field(1025, ge=1, le=65535, description="port of the SMTP server")
    smtp_mode: Literal["plain", "starttls", "tls"] = Field(
        "starttls", description="plain, starttls or tls (implicit TLS)"
    )
    smtp_username: str | None = Field(None, description="SMTP login, when the server needs one")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    smtp_timeout_s: float = Field(30.0, gt=0, description="timeout of one SMTP command")
    from_address: str = Field(
        "incasso@settle.example",
        description="sender of the dossier emails to own partners",
    )
    dossier_retry_s: float = Field(
        60.0, gt=0, description="first wait before sending a dossier again (doubles each time)"
    )
    messaging_url: str = Field(
        "http://127.0.0.1:8003",
        description="messaging's internal API: the texts of the debtor's messages for a dossier",
    )
    dossier_fetch_timeout_s: float = Field(
        10.0, gt=0, description="timeout of fetching a message text or an invoice PDF"
    )
