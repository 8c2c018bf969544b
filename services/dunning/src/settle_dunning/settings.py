"""Settings of the dunning service (environment variables `SETTLE_DUNNING_*`)."""

from datetime import time

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from settle_dunning.domain import DEFAULT_TEMPLATE_KEYS
from settle_shared.settings import ServiceSettings


class DunningSettings(ServiceSettings):
    """The dunning service's settings on top of the common ones."""

    model_config = SettingsConfigDict(env_prefix="SETTLE_DUNNING_", extra="ignore", frozen=True)

    database_url: str = Field(
        "sqlite+aiosqlite:///var/dunning.db",
        description="the dunning database: flows, dunning states, attention items",
    )
    http_port: int = Field(8002, ge=1, le=65535, description="port of the internal HTTP API")
    time_zone: str = Field(
        "Europe/Amsterdam", description="time zone in which business dates of administrations fall"
    )
    daily_run_enabled: bool = Field(
        True, description="run the day automatically for every administration"
    )
    daily_run_at: time = Field(
        time(6, 0), description="local time after which the day's run starts (HH:MM)"
    )
    daily_run_poll_s: float = Field(
        60.0, gt=0, description="how often the background loop checks whether a run is due"
    )
    daily_run_batch_size: int = Field(
        2000, ge=1, description="invoices the daily run handles per database transaction"
    )
    daily_run_workers: int = Field(
        2, ge=1, description="batches the daily run handles at once on PostgreSQL (SQLite: one)"
    )
    default_country: str = Field(
        "NL", description="country whose holidays the default flows of a new administration skip"
    )
    payment_hold_days: int = Field(
        5,
        ge=1,
        description="days an invoice paid online waits for the bookkeeping to book it before "
        "its reminders resume (with an attention item)",
    )
    payment_plan_reminder_days: int = Field(
        3,
        ge=0,
        description="days before each instalment of a payment plan that its reminder goes out",
    )
    payment_plan_grace_days: int = Field(
        2,
        ge=0,
        description="days after an instalment's date before an unpaid one counts as missed "
        "(time for a bank transfer to be booked); a plan expires this many days after its "
        "last date",
    )
    template_keys: tuple[str, ...] = Field(
        tuple(sorted(DEFAULT_TEMPLATE_KEYS)),
        description="templates a flow step may use (a JSON list); messaging must know them",
    )
