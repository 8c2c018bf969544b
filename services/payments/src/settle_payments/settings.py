"""The payments service's settings (environment variables with the prefix SETTLE_PAYMENTS_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from settle_shared.settings import PLACEHOLDER_SECRET, ServiceSettings

# The key the local PSP accepts; refused in production like every placeholder secret.
LOCAL_PSP_KEY = f"{PLACEHOLDER_SECRET}-test_local-psp-key-for-development"
MOLLIE_API = "https://api.mollie.com/v2"


class PaymentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SETTLE_PAYMENTS_", extra="ignore", frozen=True)

    database_url: str = Field(
        "sqlite+aiosqlite:///var/payments.db", description="the payments service's database"
    )
    http_port: int = Field(8004, ge=1, le=65535, description="port of the payments API")
    psp: Literal["mollie"] = Field(
        "mollie", description="which PSP adapter talks to the PSP (mollie: Mollie's API v2)"
    )
    psp_base_url: str = Field(
        MOLLIE_API,
        description="base URL of the PSP's API: Mollie's, or the local PSP's "
        "(http://127.0.0.1:8040/v2, what `settle up` sets)",
    )
    psp_api_key: SecretStr = Field(
        SecretStr(LOCAL_PSP_KEY),
        description="API key of the PSP account (Mollie: test_… or live_…); must be set in "
        "production",
    )
    psp_timeout_s: float = Field(
        10.0, gt=0, description="timeout of one call to the PSP; a payment request then gets 503"
    )
    psp_methods: tuple[str, ...] = Field(
        ("ideal", "creditcard", "bancontact"),
        description="payment methods offered at the checkout (a JSON list of Mollie's names)",
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8004",
        description="this service's address as the PSP reaches it: webhooks go to "
        "<url>/webhooks/mollie",
    )
    refresh_interval_s: float = Field(
        30.0, gt=0, description="how often the refresher looks for payments to ask the PSP about"
    )
    refresh_after_s: float = Field(
        300.0,
        gt=0,
        description="a payment not yet paid, failed, canceled or expired is asked about again "
        "when no webhook came for this long (and at once after a webhook whose fetch failed)",
    )
    refresh_batch_size: int = Field(
        100, ge=1, description="payments the refresher asks the PSP about per round"
    )
