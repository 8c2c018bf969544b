"""An administration's message templates (messaging's): every template in every language,
one's text to edit, an administration's own version saved or taken back, and a preview with
sample data, in one language or in all of them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Context,
    ServiceAnswer,
    correlation,
    proxy,
    ui_router,
)
from settle_gateway.auth.security import Administrator, Reader
from settle_gateway.templates import service
from settle_gateway.templates.models import (
    Channel,
    Language,
    PreviewOut,
    TemplateIn,
    TemplateKey,
    TemplateOut,
    TemplateVersionOut,
    Tone,
)

router = ui_router()


@router.get(
    ADMINISTRATION + "/templates", response_model=list[TemplateVersionOut], responses=NOT_FOUND
)
async def templates(
    administration_id: str, request: Request, principal: Reader, context: Context
) -> list[dict[str, Any]]:
    """Every template in every language it exists in: built in, the administration's own, or
    both."""
    result: list[dict[str, Any]] = await proxy(
        request, context, "messaging", "GET", administration_id, "/templates"
    )
    return result


@router.get(
    ADMINISTRATION + "/templates/{template_key}/preview",
    response_model=PreviewOut,
    responses=NOT_FOUND,
)
async def preview(
    administration_id: str,
    template_key: TemplateKey,
    request: Request,
    principal: Reader,
    context: Context,
    language: Annotated[str, Query(pattern=r"^[a-z]{2}$")] = "nl",
    tone: Tone = "formal",
    channel: Channel = "email",
) -> ServiceAnswer:
    """The template rendered with sample data in one language, as a debtor would get it."""
    result: dict[str, Any] = await proxy(
        request,
        context,
        "messaging",
        "GET",
        administration_id,
        f"/templates/{template_key}/preview",
        params={"language": language, "tone": tone, "channel": channel},
    )
    return result


@router.get(
    ADMINISTRATION + "/templates/{template_key}/previews",
    response_model=list[PreviewOut],
    responses=NOT_FOUND,
)
async def previews(
    administration_id: str,
    template_key: TemplateKey,
    request: Request,
    principal: Reader,
    context: Context,
    tone: Tone = "formal",
    channel: Channel = "email",
) -> list[dict[str, Any]]:
    """The template rendered with sample data in every language it exists in, by language."""
    return await service.previews(
        context,
        administration_id,
        template_key,
        tone=tone,
        channel=channel,
        correlation_id=correlation(request),
    )


@router.get(
    ADMINISTRATION + "/templates/{template_key}/{language}",
    response_model=TemplateOut,
    responses=NOT_FOUND,
)
async def template(
    administration_id: str,
    template_key: TemplateKey,
    language: Language,
    request: Request,
    principal: Reader,
    context: Context,
) -> ServiceAnswer:
    """A template's text in one language to edit: the administration's own, else the
    built-in one."""
    result: dict[str, Any] = await proxy(
        request,
        context,
        "messaging",
        "GET",
        administration_id,
        f"/templates/{template_key}/{language}",
    )
    return result


@router.put(
    ADMINISTRATION + "/templates/{template_key}/{language}",
    response_model=TemplateOut,
    responses=NOT_FOUND,
)
async def save_template(
    administration_id: str,
    template_key: TemplateKey,
    language: Language,
    body: TemplateIn,
    request: Request,
    principal: Administrator,
    context: Context,
) -> ServiceAnswer:
    """Save the administration's own version of a template in a language (administrators;
    checked in messaging's sandbox first, a mistake refused with its line)."""
    path = f"/templates/{template_key}/{language}"
    await proxy(
        request, context, "messaging", "PUT", administration_id, path, json=body.model_dump()
    )
    result: dict[str, Any] = await proxy(
        request, context, "messaging", "GET", administration_id, path
    )
    return result


@router.delete(
    ADMINISTRATION + "/templates/{template_key}/{language}",
    status_code=204,
    responses=NOT_FOUND,
)
async def reset_template(
    administration_id: str,
    template_key: TemplateKey,
    language: Language,
    request: Request,
    principal: Administrator,
    context: Context,
) -> Response:
    """Go back to the built-in template in this language (administrators)."""
    await proxy(
        request,
        context,
        "messaging",
        "DELETE",
        administration_id,
        f"/templates/{template_key}/{language}",
    )
    return Response(status_code=204)
