"""Imports of an administration: the finished runs, one run as the importer has it, and
new imports (an upload, or from a bookkeeping connection) passed to the importer."""

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
from settle_gateway.auth.security import Reader, Worker
from settle_gateway.imports import service
from settle_gateway.imports.models import ImportRunPage

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


@router.get(ADMINISTRATION + "/imports/{run_id}", responses=NOT_FOUND)
async def import_run_detail(
    administration_id: str, run_id: str, request: Request, principal: Reader, context: Context
) -> ServiceAnswer:
    """One run with its rejected records, as the importer has it now."""
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


@router.post(
    ADMINISTRATION + "/imports",
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
    limit = context.settings.upload_max_bytes
    too_large = HTTPException(413, detail=f"the upload is larger than the {limit:,} bytes accepted")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise HTTPException(422, detail="send the file as multipart/form-data, field 'file'")
    body = LimitedBody(request.stream(), limit)
    try:
        result: dict[str, Any] = await proxy(
            request,
            context,
            "importer",
            "POST",
            administration_id,
            "/imports",
            content=body,
            headers={"Content-Type": content_type},
        )
    except (UploadTooLarge, HTTPException):
        if body.exceeded:
            raise too_large from None
        raise
    return result


@router.post(
    ADMINISTRATION + "/connections/{connection_id}/imports", status_code=202, responses=NOT_FOUND
)
async def start_import(
    administration_id: str,
    connection_id: str,
    request: Request,
    principal: Worker,
    context: Context,
) -> ServiceAnswer:
    """Import now from a bookkeeping connection."""
    result: dict[str, Any] = await proxy(
        request,
        context,
        "importer",
        "POST",
        administration_id,
        f"/connections/{connection_id}/imports",
    )
    return result
