"""Settings of the gateway (prefix SETTLE_GATEWAY_)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from settle_shared.portal_links import DEVELOPMENT_SECRET as DEVELOPMENT_PORTAL_SECRET
from settle_shared.settings import PLACEHOLDER_SECRET, ServiceSettings


class GatewaySettings(ServiceSettings):
    """The gateway's settings: identity, tokens, the read model and its neighbours."""

    model_config = SettingsConfigDict(env_prefix="SETTLE_GATEWAY_", extra="ignore", frozen=True)

    # The services whose internal APIs the gateway passes commands to: the registered services
    # (settle.services entry points) but the gateway, each with a `<name>_url` setting below.
    # A test holds this to the registry; a gateway image installs no other service, so the
    # registry alone cannot name them at run time.
    UPSTREAMS: ClassVar[tuple[str, ...]] = (
        "importer",
        "dunning",
        "messaging",
        "payments",
        "collection",
    )

    database_url: str = Field(
        "sqlite+aiosqlite:///var/gateway.db", description="the gateway's read-model database"
    )
    http_port: int = Field(8000, ge=1, le=65535, description="port of the gateway's API")
    # Twice the services' default: a worker under load has a few dozen requests in flight,
    # and a burst past the pool opens (and closes) a connection per request, which costs
    # more than the query and made a busy worker fall further behind.
    database_pool_size: int = Field(
        20, ge=1, description="PostgreSQL connections a worker keeps open for the read model"
    )
    jwt_secret: SecretStr = Field(
        # 32 bytes and more, so signing in development draws no key-length warning; starting
        # with the placeholder, production refuses it.
        SecretStr(f"{PLACEHOLDER_SECRET}-development-jwt-secret-not-for-production"),
        description="secret (32+ bytes) signing access tokens (HS256); must be set in production",
    )
    jwt_issuer: str = Field("settle-gateway", description="issuer of the gateway's access tokens")
    jwt_audience: str = Field("settle-ui", description="audience of the gateway's access tokens")
    access_token_minutes: int = Field(15, ge=1, le=1440, description="lifetime of an access token")
    refresh_token_days: int = Field(14, ge=1, le=365, description="lifetime of a refresh token")
    oidc_issuer: str | None = Field(
        None, description="issuer of an external OpenID Connect provider whose tokens are accepted"
    )
    oidc_audience: str | None = Field(None, description="audience those tokens must carry")
    oidc_jwks_url: str | None = Field(None, description="JWKS URL of the OpenID Connect provider")
    oidc_email_claim: str = Field(
        "email", description="claim of an OpenID Connect token naming the Settle user (by email)"
    )
    principal_cache_s: float = Field(
        5.0,
        ge=0,
        le=300,
        description="seconds a verified bearer token and the caller's roles are reused without "
        "looking them up again; a role change, deactivation or revoked API token applies on "
        "other replicas within this time (0: look up on every request)",
    )
    upload_max_bytes: int = Field(
        100 * 1024 * 1024 + 64 * 1024,
        ge=1,
        description="largest upload body passed on to the importer (its file limit and the "
        "multipart framing); a larger one is refused with 413 as soon as it is seen",
    )
    preview_max_bytes: int = Field(
        10 * 1024 * 1024 + 64 * 1024,
        ge=1,
        description="largest file passed on for a column mapping preview (the importer's "
        "limit and the multipart framing)",
    )
    invitation_days: int = Field(
        7, ge=1, le=90, description="days an invitation to choose a password stays valid"
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="failed logins of one account (from any address) before its logins are refused",
    )
    login_max_failures_per_address: int = Field(
        20,
        ge=1,
        description="failed logins from one client address (for any account) before "
        "its logins are refused",
    )
    login_window_s: int = Field(
        900, ge=1, description="window (seconds) in which failed logins are counted"
    )
    cors_origins: list[str] = Field(
        [],
        description="origins the browser may call the API from (a JSON list); empty: none",
    )
    importer_url: str = Field("http://127.0.0.1:8001", description="the importer's internal API")
    dunning_url: str = Field("http://127.0.0.1:8002", description="dunning's internal API")
    messaging_url: str = Field(
        "http://127.0.0.1:8003", description="the messaging service's internal API"
    )
    payments_url: str = Field(
        "http://127.0.0.1:8004", description="the payments service's API (the portal's payments)"
    )
    portal_link_secret: SecretStr = Field(
        SecretStr(DEVELOPMENT_PORTAL_SECRET),
        description="secret (32+ bytes) that verifies portal links; the same as messaging's "
        "SETTLE_MESSAGING_PORTAL_LINK_SECRET; must be set in production",
    )
    portal_link_old_secret: SecretStr | None = Field(
        None,
        description="the previous portal-link secret while it is rotated: links it signed "
        "still open until they expire",
    )
    portal_public_url: str | None = Field(
        None,
        description="public URL of the gateway, which the PSP sends the debtor back to after "
        "paying; unset: the URL the request came in on",
    )
    portal_max_failures_per_address: int = Field(
        20,
        ge=1,
        description="portal requests with an invalid link from one client address before "
        "its portal requests are refused for a while",
    )
    portal_failure_window_s: int = Field(
        900, ge=1, description="window (seconds) in which invalid portal links are counted"
    )
    payments_timeout_s: float = Field(
        15.0,
        gt=0,
        description="how long the portal waits for the payments service (which waits for the "
        "PSP) before it tells the debtor to try again",
    )
    collection_url: str = Field(
        "http://127.0.0.1:8005", description="the collection service's internal API (cases)"
    )
    upstream_timeout_s: float = Field(
        10.0, gt=0, description="timeout of one call to another service's internal API"
    )
    consumer_group: str = Field(
        "gateway",
        description="consumer group of the read model; a fresh one re-reads every topic "
        "(see `settle gateway rebuild`)",
    )
    time_zone: str = Field(
        "Europe/Amsterdam", description="time zone in which business dates (overdue, aging) fall"
    )
    seed_demo: bool = Field(
        False, description="create a demo organisation, administration and user at start-up"
    )
    demo_email: str = Field("demo@settle.example", description="login of the demo user")
    demo_login_file: Path | None = Field(
        None, description="file the demo login is written to (the embedded stack shows it)"
    )
    web_dir: Path | None = Field(
        None,
        description="folder of the built web app served at / (`make web` builds web/dist); "
        "unset: the web/dist of the source checkout the gateway runs from",
    )

    def portal_link_secrets(self) -> list[bytes]:
        """The secrets a portal link may be signed with: the current one first."""
        secrets = [self.portal_link_secret, self.portal_link_old_secret]
        return [secret.get_secret_value().encode() for secret in secrets if secret is not None]

    def upstream_urls(self) -> dict[str, str]:
        """The internal API of each of the UPSTREAMS, by service name."""
        return {name: str(getattr(self, f"{name}_url")) for name in self.UPSTREAMS}

    @model_validator(mode="after")
    def _production_rules(self) -> GatewaySettings:
        # Secrets' length is ServiceSettings' rule, for every secret of every service.
        if self.environment == "production" and self.seed_demo:
            raise ValueError("seed_demo: never seed a demo user in production")
        if any(len(secret) < 32 for secret in self.portal_link_secrets()):
            raise ValueError("portal_link_secret: at least 32 bytes")
        return self
