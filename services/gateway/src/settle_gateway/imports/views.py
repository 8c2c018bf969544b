"""Imports of an administration: the finished runs, one run as the importer has it, and
new imports (an upload, or from a bookkeeping connection) passed to the importer."""

from __future__ import annotations

from typing import Any

from fastapi import Request, UploadFile

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


@router.post(ADMINISTRATION + "/imports", status_code=202, responses=NOT_FOUND)
async def upload_import(
    administration_id: str,
    file: UploadFile,
    request: Request,
    principal: Worker,
    context: Context,
) -> ServiceAnswer:
    """Upload a file (CSV, XLSX, UBL XML or a zip of them); the importer runs it."""
    content = await file.read()
    result: dict[str, Any] = await proxy(
        request,
        context,
        "importer",
        "POST",
        administration_id,
        "/imports",
        files={"file": (file.filename or "upload", content, file.content_type)},
    )
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
