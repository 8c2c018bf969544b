from pydantic import Field
from pydantic_settings import SettingsConfigDict

from settle_shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SETTLE_GATEWAY_", extra="ignore", frozen=True)

    database_url: str = Field(
        "sqlite+aiosqlite:///var/gateway.db", description="the gateway's read-model database"
    )
    http_port: int = Field(8000, ge=1, le=65535, description="port of the gateway's API")
