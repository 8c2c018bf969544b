"""The importer's internal HTTP API, for the gateway: connections, starting an import, uploading
a file, the list of runs and one run in detail. Every path is scoped by administration id, and
every refusal of the use cases is mapped to a status in `errors.py`."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import asdict
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from settle_importer.adapters.multipart import receive_form
from settle_importer.adapters.upload_folders import new_folder
from settle_importer.application.administrations import check_known
from settle_importer.application.connections import (
    Connection,
    connector_of,
    get_connection,
    list_connections,
    save_connection,
)
from settle_importer.application.context import ImporterContext
from settle_importer.application.files import check_file, queue_file_run, run_file
from settle_importer.application.importing import execute_run, start_run
from settle_importer.application.preview import mapping_catalogue, preview_mapping
from settle_importer.application.runs import list_runs, run_detail
from settle_importer.domain.errors import InvalidRequest, check_administration_id
from settle_shared.logs import get_logger

log = get_logger(__name__)


def get_context(request: Request) -> ImporterContext:
    """The use-case context the wiring put on the app."""
    context: ImporterContext = request.app.state.importer
    return context


def administration(administration_id: str) -> str:
    """The path's administration id, validated."""
    return check_administration_id(administration_id)


Ctx = Annotated[ImporterContext, Depends(get_context)]
Administration = Annotated[str, Depends(administration)]

router = APIRouter(prefix="/internal/v1/administrations/{administration_id}", tags=["importer"])


class ConnectionModel(BaseModel):
    """How and when an administration's bookkeeping is imported."""

    name: str = Field(max_length=200)
    source_kind: str = Field(
        "upload",
        max_length=32,
        description="upload (files by upload or drop folder), file (a file at a path), moneybird",
    )
    config: dict[str, Any] = Field(
        default_factory=dict,
        description='source settings: "mapping" (CSV/XLSX column mapping: a preset, "dutch" or '
        '"english", with overrides, such as {"preset": "dutch", "amount": "Totaal"}), "path" '
        "for file connections, API settings for others",
    )
    schedule: Literal["daily", "on_demand", "on_delivery"] = "on_delivery"
    schedule_time: time | None = Field(None, description="daily: local time; default 06:00")
    time_zone: str | None = Field(None, description="IANA name; default Europe/Amsterdam")
    complete_list: bool = Field(
        False, description="the source lists every open item: what it lacks is settled"
    )
    ignore_invoice_numbers: list[str] = Field(default_factory=list, description="ranges allowed")
    ignore_debtor_numbers: list[str] = Field(default_factory=list)
    ignore_payment_conditions: list[str] = Field(default_factory=list)
    default_payment_term_days: int = Field(
        30,
        ge=0,
        le=365,
        description="days after the invoice date an invoice is due when its document has "
        "neither a due date nor payment terms (the invoice is flagged for a person)",
    )


class ConnectionView(ConnectionModel):
    id: str
    last_success_started_at: datetime | None = Field(
        None,
        description="when the last successful run of the connection began (business clock); "
        "a Moneybird connection that is not a complete list asks for what changed since",
    )


class ProgressView(BaseModel):
    done: int
    total: int | None


class RunView(BaseModel):
    """An import run."""

    id: str
    administration_id: str
    connection_id: str | None
    source: str
    source_name: str | None
    trigger: str
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: ProgressView
    counts: dict[str, int]
    notices: list[str]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RejectedView(BaseModel):
    position: str
    reference: str | None
    reason: str


class RunDetailView(RunView):
    rejected: list[RejectedView]


class RunPageView(BaseModel):
    runs: list[RunView]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")


class RunAccepted(BaseModel):
    run_id: str
    status: str = "queued"


class PresetFitView(BaseModel):
    name: str
    fits: bool = Field(description="the header has every column the preset requires")
    lacking: list[str] = Field(description="the required columns the header lacks")


class PreviewColumnView(BaseModel):
    title: str
    field: str | None = Field(description="the field this column feeds; none: not read")


class PreviewRowView(BaseModel):
    position: str = Field(description='where the record is: "line 2", "row 3"')
    reference: str | None = Field(description="its invoice number, when it could be read")
    fields: dict[str, str | None] = Field(
        description="the record in our fields, as text: dates as 2025-03-31, amounts with a "
        "point (empty when the row is refused)"
    )
    error: str | None = Field(description="why the row would be rejected, if it would")


class PreviewView(BaseModel):
    """How the first rows of an export would be read; nothing is imported."""

    kind: str = Field(description="csv or xlsx")
    header: list[str]
    presets: list[PresetFitView]
    preset: str | None = Field(description="the preset the mapping starts from")
    mapping: dict[str, Any] = Field(
        description="the column mapping read with (the one given, the connection's, or the "
        'preset that fits: {"preset": "dutch"}): save it as the connection\'s config.mapping'
    )
    columns: list[PreviewColumnView]
    rows: list[PreviewRowView]
    problem: str | None = Field(
        description="why the file cannot be read with this mapping (then no rows)"
    )
    delimiter: str | None
    encoding: str | None


class MappingFieldView(BaseModel):
    name: str
    required: bool
    meaning: str


class PresetView(BaseModel):
    name: str
    title: str
    columns: dict[str, str | int | list[str | int]]
    delimiter: str | None
    decimal_comma: bool
    thousands_separator: str | None
    date_format: str


class MappingCatalogueView(BaseModel):
    """What a column mapping names, and the presets a mapping starts from."""

    fields: list[MappingFieldView]
    formats: dict[str, Any] = Field(description="the formats of a mapping and their defaults")
    presets: list[PresetView]


def _connection_view(connection: Connection) -> ConnectionView:
    return ConnectionView(
        id=connection.id,
        name=connection.name,
        source_kind=connection.source_kind,
        config=connection.config,
        schedule=connection.schedule,
        schedule_time=connection.schedule_time,
        time_zone=connection.time_zone,
        complete_list=connection.complete_list,
        ignore_invoice_numbers=connection.ignore_invoice_numbers,
        ignore_debtor_numbers=connection.ignore_debtor_numbers,
        ignore_payment_conditions=connection.ignore_payment_conditions,
        default_payment_term_days=connection.default_payment_term_days,
        last_success_started_at=connection.last_success_started_at,
    )


@router.put("/connections/{connection_id}", response_model=ConnectionView)
async def put_connection(
    ctx: Ctx, administration_id: Administration, connection_id: str, body: ConnectionModel
) -> ConnectionView:
    """Create or replace a connection."""
    if not connection_id or len(connection_id) > 64:
        raise InvalidRequest("a connection id has 1 to 64 characters")
    saved = await save_connection(
        ctx,
        Connection(administration_id=administration_id, id=connection_id, **body.model_dump()),
    )
    return _connection_view(saved)


@router.get("/connections", response_model=list[ConnectionView])
async def get_connections(ctx: Ctx, administration_id: Administration) -> list[ConnectionView]:
    """The administration's connections."""
    return [_connection_view(c) for c in await list_connections(ctx, administration_id)]


@router.post("/connections/{connection_id}/imports", status_code=202, response_model=RunAccepted)
async def import_now(
    ctx: Ctx, administration_id: Administration, connection_id: str
) -> RunAccepted:
    """Import now from a connection ("import now"); the run goes on in the background."""
    connection = await get_connection(ctx, administration_id, connection_id)
    if connection.source_kind == "upload":
        raise InvalidRequest("this connection receives files: upload one instead")
    run_id = await start_run(
        ctx,
        administration_id,
        source=connection.source_kind,
        source_name=connection.name,
        trigger="on_demand",
        connection_id=connection.id,
    )
    _background(
        ctx,
        execute_run(
            ctx,
            administration_id,
            run_id,
            connector_of(ctx, connection),
            connection.options(),
        ),
    )
    return RunAccepted(run_id=run_id)


def _multipart_body(form: type[BaseModel] | None = None) -> dict[str, Any]:
    """The OpenAPI request body of a form with a file in `file` (and ``form``'s fields): the
    routes read the body themselves, as it arrives."""
    schema: dict[str, Any] = (
        form.model_json_schema() if form else {"type": "object", "properties": {}}
    )
    schema["properties"] = {
        "file": {"type": "string", "format": "binary"},
        **schema["properties"],
    }
    schema["required"] = ["file"]
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


@router.post(
    "/imports",
    status_code=202,
    response_model=RunAccepted,
    responses={413: {"description": "the file is larger than UPLOAD_MAX_BYTES"}},
    openapi_extra=_multipart_body(),
)
async def upload(ctx: Ctx, administration_id: Administration, request: Request) -> RunAccepted:
    """Upload a file (CSV, XLSX, UBL XML or a zip of them) in the multipart field `file` and
    import it. The file is written to UPLOADS_DIR as it arrives (never held in memory, never
    in /tmp) and removed when its import ends."""
    await check_known(ctx, administration_id)  # before a byte of the file is stored
    folder = await _upload_folder(ctx, "upload-")
    try:
        form = await receive_form(
            request.headers.get("content-type", ""),
            request.stream(),
            folder,
            limit=ctx.settings.upload_max_bytes,
        )
        assert form.path is not None and form.name is not None
        path, name = form.path, form.name
        await asyncio.to_thread(check_file, ctx, path, name)
        run_id, connection = await queue_file_run(ctx, administration_id, name, "upload")
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, folder, True)
        raise

    async def run_and_clean_up() -> None:
        try:
            await run_file(ctx, administration_id, run_id, path, name, connection)
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)

    _background(ctx, run_and_clean_up())
    return RunAccepted(run_id=run_id)


async def _upload_folder(ctx: ImporterContext, prefix: str) -> Path:
    return await asyncio.to_thread(new_folder, ctx.settings.uploads_dir, prefix)


@router.get("/mapping-presets", response_model=MappingCatalogueView)
async def mapping_presets(ctx: Ctx, administration_id: Administration) -> dict[str, Any]:
    """The fields a column mapping names and the presets by name, each with its columns."""
    await check_known(ctx, administration_id)
    return mapping_catalogue(ctx)


class PreviewForm(BaseModel):
    """The text fields of a mapping preview's form, beside its file."""

    mapping: str | None = Field(
        None,
        description='a column mapping as JSON, such as {"preset": "dutch", "amount": '
        '"Totaal"}; absent: the connection\'s, else the preset the header fits',
    )
    connection_id: str | None = Field(None, max_length=64)
    rows: int = Field(10, ge=1, le=50)
    partial: bool = Field(
        False, description="the file is the start of a longer one (its last line is cut)"
    )


@router.post(
    "/mapping-preview",
    response_model=PreviewView,
    responses={413: {"description": "the file is larger than PREVIEW_MAX_BYTES"}},
    openapi_extra=_multipart_body(PreviewForm),
)
async def mapping_preview(
    ctx: Ctx, administration_id: Administration, request: Request
) -> PreviewView:
    """The header of an export, the presets that fit it, the field each column feeds and the
    first rows as an import would read them, each with its refusal. Nothing is imported."""
    folder = await _upload_folder(ctx, "preview-")
    try:
        form = await receive_form(
            request.headers.get("content-type", ""),
            request.stream(),
            folder,
            limit=ctx.settings.preview_max_bytes,
            default_name="preview.csv",
        )
        assert form.path is not None and form.name is not None
        fields = _preview_form(form.fields)
        preview = await preview_mapping(
            ctx,
            administration_id,
            form.path,
            form.name,
            mapping=_given_mapping(fields.mapping),
            connection_id=fields.connection_id,
            rows=fields.rows,
            partial=fields.partial,
        )
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)
    return PreviewView.model_validate(asdict(preview))


def _preview_form(fields: dict[str, str]) -> PreviewForm:
    try:
        return PreviewForm.model_validate(
            {key: value for key, value in fields.items() if key in PreviewForm.model_fields}
        )
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        raise InvalidRequest(f"the form cannot be read: {problems}") from None


def _given_mapping(mapping: str | None) -> dict[str, Any] | None:
    if mapping is None or not mapping.strip():
        return None
    try:
        given = json.loads(mapping)
    except ValueError as error:
        raise InvalidRequest(f"the column mapping is not JSON: {error}") from None
    if not isinstance(given, dict):
        raise InvalidRequest(
            'the column mapping must be an object of fields, such as {"preset": "dutch"}'
        )
    return given


@router.get("/runs", response_model=RunPageView)
async def get_runs(
    ctx: Ctx,
    administration_id: Administration,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """The administration's import runs, newest first."""
    page = await list_runs(ctx, administration_id, limit=limit, cursor=cursor)
    return {"runs": page.runs, "next_cursor": page.next_cursor}


@router.get("/runs/{run_id}", response_model=RunDetailView)
async def get_run(ctx: Ctx, administration_id: Administration, run_id: str) -> dict[str, Any]:
    """One import run with counts, progress and its rejected records with reasons."""
    return await run_detail(ctx, administration_id, run_id)


def _background(ctx: ImporterContext, work: Any) -> None:
    task = asyncio.create_task(work)
    ctx.tasks.add(task)
    task.add_done_callback(ctx.tasks.discard)


_MULTIPART_OVERHEAD = 64 * 1024


class UploadLimit:
    """Refuses an upload body over the limit while it arrives: a declared Content-Length before
    a byte is read, a body without one (chunked) as soon as it grows past the limit. The
    routes count the file's bytes as well; this also counts the rest of the form."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].endswith(("/imports", "/mapping-preview"))
        ):
            await self.app(scope, receive, send)
            return
        context: ImporterContext = scope["app"].state.importer
        limit = _MULTIPART_OVERHEAD + (
            context.settings.preview_max_bytes
            if scope["path"].endswith("/mapping-preview")
            else context.settings.upload_max_bytes
        )
        too_large = f"the file is larger than the {limit:,} bytes accepted"
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await JSONResponse({"detail": too_large}, status_code=413)(scope, receive, send)
            return
        received = 0
        cut_off = answered = False

        async def counted() -> Message:
            nonlocal received, cut_off
            if cut_off:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # The body ends here for the app, as if the client had gone; the answer
                    # is ours, whatever the layers in between make of the broken body.
                    cut_off = True
                    return {"type": "http.disconnect"}
            return message

        async def answer(message: Message) -> None:
            nonlocal answered
            if not cut_off:
                await send(message)
            elif message["type"] == "http.response.start" and not answered:
                answered = True
                await JSONResponse({"detail": too_large}, status_code=413)(scope, receive, send)

        await self.app(scope, counted, answer)
        if cut_off and not answered:
            await JSONResponse({"detail": too_large}, status_code=413)(scope, receive, send)


def install(app: FastAPI) -> None:
    """Add the routes and the upload limit to the service's app."""
    app.include_router(router)
    app.add_middleware(UploadLimit)
