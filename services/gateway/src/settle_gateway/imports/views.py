"""Imports of an administration: its bookkeeping connections (source, schedule, time zone,
ignore lists, column mapping), the column mapping's presets and a preview of it on the start of
an export, importing now or an uploaded file, and the runs with their counts and rejected
records. The importer owns all of it; the gateway passes it on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import HTTPException, Request

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Context,
    Cursor,
    Limit,
    ReadSession,
    ServiceAnswer,
    proxy,
    ui_router,
)
from settle_gateway.application.context import GatewayContext
from settle_gateway.auth.security import Administrator, Reader, Worker
from settle_gateway.domain.errors import NotFound
from settle_gateway.imports import service
from settle_gateway.imports.models import (
    ConnectionIn,
    ConnectionOut,
    ImportRunDetail,
    ImportRunPage,
    MappingPresetsOut,
    MappingPreviewOut,
    RunAcceptedOut,
)

router = ui_router()


@router.get(ADMINISTRATION + "/imports", response_model=ImportRunPage, responses=NOT_FOUND)
async def import_runs(
    administration_id: str,
    principal: Reader,
    session: ReadSession,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ImportRunPage:
    """Finished import runs with their counts, newest first."""
    return await service.run_page(session, administration_id, limit=limit, cursor=cursor)


@router.get(
    ADMINISTRATION + "/imports/{run_id}", response_model=ImportRunDetail, responses=NOT_FOUND
)
async def import_run_detail(
    administration_id: str, run_id: str, request: Request, principal: Reader, context: Context
) -> ServiceAnswer:
    """One run as the importer has it now (queued, running with its progress, or finished),
    with its counts and each rejected record's reason."""
    result: dict[str, Any] = await proxy(
        request, context, "importer", "GET", administration_id, f"/runs/{run_id}"
    )
    return result


# The body is documented here and passed on unread: FastAPI would parse a declared file
# parameter, reading the whole body before the caller is even checked.
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
PREVIEW_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "a CSV export, or its first part (then `partial`), "
                            "or a whole XLSX workbook",
                        },
                        "mapping": {
                            "type": "string",
                            "description": "a column mapping as JSON, such as "
                            '{"preset": "dutch", "amount": "Totaal"}; absent: the '
                            "connection's, else the preset the header fits",
                        },
                        "connection_id": {"type": "string", "maxLength": 64},
                        "rows": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
                        "partial": {
                            "type": "boolean",
                            "default": False,
                            "description": "the file is the start of a longer one: its last, "
                            "cut line is left out",
                        },
                    },
                }
            }
        },
    }
}


class UploadTooLarge(Exception):
    """The upload passed the gateway's limit while it streamed."""


class LimitedBody:
    """A request body passed on chunk by chunk, cut off when it grows past `limit`. Whether it
    was is kept: the importer may answer a cut-off body with an error of its own first."""

    def __init__(self, body: AsyncIterator[bytes], limit: int) -> None:
        self._body, self._limit = body, limit
        self.exceeded = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in self._body:
            received += len(chunk)
            if received > self._limit:
                self.exceeded = True
                raise UploadTooLarge()
            yield chunk


async def stream_to_importer(
    request: Request, context: GatewayContext, administration_id: str, path: str, limit: int
) -> Any:
    """Pass a multipart body on to the importer without holding it: a declared length over
    `limit` is refused before a byte is read, a body that grows past it as soon as it does."""
    too_large = HTTPException(413, detail=f"the upload is larger than the {limit:,} bytes accepted")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise HTTPException(422, detail="send the file as multipart/form-data, field 'file'")
    body = LimitedBody(request.stream(), limit)
    try:
        return await proxy(
            request,
            context,
            "importer",
            "POST",
            administration_id,
            path,
            content=body,
            headers={"Content-Type": content_type},
        )
    except (UploadTooLarge, HTTPException):
        if body.exceeded:
            raise too_large from None
        raise


@router.post(
    ADMINISTRATION + "/imports",
    response_model=RunAcceptedOut,
    status_code=202,
    responses={**NOT_FOUND, 413: {"description": "the upload is larger than accepted"}},
    openapi_extra=UPLOAD_BODY,
)
async def upload_import(
    administration_id: str, request: Request, principal: Worker, context: Context
) -> ServiceAnswer:
    """Upload a file (CSV, XLSX, UBL XML or a zip of them) in the multipart field `file`; the
    importer runs it. The body streams through to the importer, checked against
    `UPLOAD_MAX_BYTES` as it goes, after the caller was checked."""
    result: dict[str, Any] = await stream_to_importer(
        request, context, administration_id, "/imports", context.settings.upload_max_bytes
    )
    return result


@router.get(
    ADMINISTRATION + "/connections", response_model=list[ConnectionOut], responses=NOT_FOUND
)
async def connections(
    administration_id: str, request: Request, principal: Reader, context: Context
) -> list[ConnectionOut]:
    """The administration's bookkeeping connections (a Moneybird token is never shown)."""
    stored: list[dict[str, Any]] = await proxy(
        request, context, "importer", "GET", administration_id, "/connections"
    )
    return [service.connection_out(raw) for raw in stored]


async def _stored_connection(
    request: Request, context: GatewayContext, administration_id: str, connection_id: str
) -> dict[str, Any] | None:
    stored: list[dict[str, Any]] = await proxy(
        request, context, "importer", "GET", administration_id, "/connections"
    )
    return next((raw for raw in stored if raw["id"] == connection_id), None)


@router.get(
    ADMINISTRATION + "/connections/{connection_id}",
    response_model=ConnectionOut,
    responses=NOT_FOUND,
)
async def connection(
    administration_id: str,
    connection_id: str,
    request: Request,
    principal: Reader,
    context: Context,
) -> ConnectionOut:
    """One bookkeeping connection."""
    stored = await _stored_connection(request, context, administration_id, connection_id)
    if stored is None:
        raise NotFound(f"no connection {connection_id!r} in this administration")
    return service.connection_out(stored)


@router.put(
    ADMINISTRATION + "/connections/{connection_id}",
    response_model=ConnectionOut,
    responses=NOT_FOUND,
)
async def save_connection(
    administration_id: str,
    connection_id: str,
    body: ConnectionIn,
    request: Request,
    principal: Administrator,
    context: Context,
) -> ConnectionOut:
    """Create or change a bookkeeping connection (administrators): its source, schedule and
    time zone, ignore lists and column mapping. The importer checks it (a mapping's mistakes
    come back as sentences) and answers it as stored."""
    stored = await _stored_connection(request, context, administration_id, connection_id)
    saved: dict[str, Any] = await proxy(
        request,
        context,
        "importer",
        "PUT",
        administration_id,
        f"/connections/{connection_id}",
        json=service.importer_connection(body, stored),
    )
    return service.connection_out(saved)


@router.get(
    ADMINISTRATION + "/mapping-presets", response_model=MappingPresetsOut, responses=NOT_FOUND
)
async def mapping_presets(
    administration_id: str, request: Request, principal: Reader, context: Context
) -> ServiceAnswer:
    """The fields a column mapping names (the required ones first) and the presets by name,
    each with the columns it reads."""
    result: dict[str, Any] = await proxy(
        request, context, "importer", "GET", administration_id, "/mapping-presets"
    )
    return result


@router.post(
    ADMINISTRATION + "/mapping-preview",
    response_model=MappingPreviewOut,
    responses={**NOT_FOUND, 413: {"description": "the file is larger than a preview reads"}},
    openapi_extra=PREVIEW_BODY,
)
async def mapping_preview(
    administration_id: str, request: Request, principal: Worker, context: Context
) -> ServiceAnswer:
    """How an export would be read, before anything is imported: its header, the presets that
    fit it, the field each column feeds and the first rows in our fields, each with why it
    would be rejected. Send the first part of a CSV export (`partial`) or a whole workbook,
    with a `mapping` to try, or a `connection_id` whose mapping to use."""
    result: dict[str, Any] = await stream_to_importer(
        request,
        context,
        administration_id,
        "/mapping-preview",
        context.settings.preview_max_bytes,
    )
    return result


@router.post(
    ADMINISTRATION + "/connections/{connection_id}/imports",
    response_model=RunAcceptedOut,
    status_code=202,
    responses=NOT_FOUND,
)
async def start_import(
    administration_id: str,
    connection_id: str,
    request: Request,
    principal: Worker,
    context: Context,
) -> ServiceAnswer:
    """Import now from a bookkeeping connection; follow the run at `…/imports/{run_id}`."""
    result: dict[str, Any] = await proxy(
        request,
        context,
        "importer",
        "POST",
        administration_id,
        f"/connections/{connection_id}/imports",
    )
    return result
