"""Templates as messaging keeps them: previews of a template in every language it exists in,
asked of messaging at once."""

from __future__ import annotations

import asyncio
from typing import Any

from settle_gateway.application.context import GatewayContext


async def previews(
    context: GatewayContext,
    administration_id: str,
    template_key: str,
    *,
    tone: str,
    channel: str,
    correlation_id: str | None,
) -> list[dict[str, Any]]:
    """The template rendered with sample data in each language it exists in (built in or
    the administration's own), by language."""
    base = f"/internal/v1/administrations/{administration_id}/templates"
    versions = await context.upstreams.call("messaging", "GET", base, correlation_id=correlation_id)
    languages = sorted(v["language"] for v in versions.json() if v["template_key"] == template_key)
    answers = await asyncio.gather(
        *(
            context.upstreams.call(
                "messaging",
                "GET",
                f"{base}/{template_key}/preview",
                correlation_id=correlation_id,
                params={"language": language, "tone": tone, "channel": channel},
            )
            for language in languages
        )
    )
    return [answer.json() for answer in answers]
