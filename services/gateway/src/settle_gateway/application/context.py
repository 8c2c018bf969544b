"""The gateway's context: what every route and query of the concept packages runs with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_gateway.application.ports import NeighbourServices, OnlinePayments
from settle_gateway.settings import GatewaySettings
from settle_shared.service import ServiceRuntime

if TYPE_CHECKING:
    from settle_gateway.auth.security import LoginLimiter, OidcVerifier, PrincipalCache
    from settle_gateway.portal.service import PortalLimiter


@dataclass
class GatewayContext:
    """What the routes share: settings, the login limiter, the OIDC verifier, the clients of
    the other services, the debtor portal's payments client and limiter."""

    runtime: ServiceRuntime
    settings: GatewaySettings
    limiter: LoginLimiter
    oidc: OidcVerifier | None
    upstreams: NeighbourServices
    principals: PrincipalCache
    # Sessions for the routes that only read: autocommit, so a request does not spend two
    # round trips on BEGIN and ROLLBACK around its queries; each query reads the latest
    # committed state. Commands write through `transaction(context.sessions)`.
    reads: async_sessionmaker[AsyncSession]
    # The debtor portal: the payments service's API, and the limit of invalid links.
    payments: OnlinePayments
    portal_limiter: PortalLimiter

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """Sessions for commands (each in a transaction)."""
        return self.runtime.sessions

    def today(self) -> date:
        """The business date, in the administrations' time zone."""
        return self.runtime.clock.now().astimezone(ZoneInfo(self.settings.time_zone)).date()
