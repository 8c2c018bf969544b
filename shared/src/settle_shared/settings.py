"""Settings base for every service: environment variables with a per-service prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"  # noqa: S105 - the value refused outside development
# The shortest secret production accepts: 256 bits, what an HMAC-SHA256 key should carry.
MIN_SECRET_BYTES = 32


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message names the environment variable."""


class ServiceSettings(BaseSettings):
    """What every service needs. A service subclasses it and sets its own `env_prefix`.

    Every field here is documented in the README's configuration reference; a test keeps
    the two in step.
    """

    model_config = SettingsConfigDict(env_prefix="SETTLE_", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = Field(
        "development", description="development, test or production (stricter checks)"
    )
    database_url: str = Field(
        "sqlite+aiosqlite:///var/settle.db",
        description="SQLAlchemy async URL: postgresql+asyncpg://… or sqlite+aiosqlite:///…",
    )
    database_pool_size: int = Field(
        10,
        ge=1,
        description="PostgreSQL connections a process keeps open (up to as many again are"
        " opened for a burst and closed after it)",
    )
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="comma-separated Kafka bootstrap servers"
    )
    kafka_idempotence: bool = Field(
        False, description="idempotent producer (on for Apache Kafka; the embedded broker lacks it)"
    )
    kafka_partitions: int = Field(6, ge=1, description="partitions of topics this service creates")
    kafka_replication_factor: int = Field(1, ge=1, description="replication of created topics")
    kafka_session_timeout_ms: int = Field(
        6000, ge=1000, description="consumer session timeout: how soon a dead replica is replaced"
    )
    consumer_max_attempts: int = Field(
        3, ge=1, description="attempts for one event before it goes to the dead-letter topic"
    )
    consumer_retry_backoff_s: float = Field(
        0.5, ge=0, description="first back-off between attempts (doubles each attempt)"
    )
    outbox_poll_interval_s: float = Field(
        0.2,
        gt=0,
        description="how often the outbox relay looks for unpublished events "
        "(on PostgreSQL a write also wakes an idle relay at once)",
    )
    outbox_batch_size: int = Field(1000, ge=1, description="events the relay publishes at once")
    outbox_replay_on_new_cluster: bool = Field(
        True,
        description="republish the whole outbox when the broker is a new cluster (lost its data)",
    )
    outbox_relay_in_process: bool = Field(
        True,
        description="run the outbox relay inside the service; false when `settle relay <service>` "
        "runs it as a process of its own",
    )
    http_host: str = Field("127.0.0.1", description="address the HTTP server binds")
    http_port: int = Field(8000, ge=1, le=65535, description="port of the HTTP server")
    trusted_proxies: str = Field(
        "",
        description="comma-separated addresses or networks of the reverse proxies (the ingress) "
        "whose X-Forwarded-For names the client; empty: the connection's own address counts",
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_format: Literal["json", "console"] = Field("json", description="json or console")
    clock_file: Path | None = Field(
        None, description="file holding a business-clock offset (embedded stack and demos)"
    )
    service_token: SecretStr = Field(
        SecretStr(PLACEHOLDER_SECRET),
        description="shared secret for service-to-service calls; production needs 32 bytes or more",
    )

    @model_validator(mode="after")
    def _real_secrets_in_production(self) -> ServiceSettings:
        # Every secret of every service: a subclass's own secrets are covered by declaring
        # their development default as (or starting with) the placeholder.
        if self.environment != "production":
            return self
        for name in type(self).model_fields:
            value = getattr(self, name)
            if not isinstance(value, SecretStr):
                continue
            secret = value.get_secret_value()
            if secret.startswith(PLACEHOLDER_SECRET):
                raise ValueError(f"{name}: set a real secret in production")
            if len(secret.encode()) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"{name}: use at least {MIN_SECRET_BYTES} bytes in production "
                    f"(it has {len(secret.encode())})"
                )
        return self


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT], **overrides: Any) -> SettingsT:
    """Build settings from the environment, naming the variable when one is wrong."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", ""))
        problems = []
        for err in exc.errors():
            field = ".".join(str(part) for part in err["loc"]) or "settings"
            variable = f"{prefix}{field}".upper()
            problems.append(f"{variable}: {err['msg']}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None
