"""The shapes of import runs, connections and their column mapping."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ImportRunOut(BaseModel):
    run_id: str
    source: str
    status: str
    error: str | None
    counts: dict[str, int]
    started_at: datetime
    finished_at: datetime
    duration_ms: int


class ImportRunPage(BaseModel):
    items: list[ImportRunOut]
    next_cursor: str | None = None


# --- connections ---------------------------------------------------------------------------

Schedule = Literal["daily", "on_demand", "on_delivery"]


class MoneybirdIn(BaseModel):
    """Where a Moneybird connection reads: the Moneybird administration and an API token."""

    model_config = ConfigDict(extra="forbid")

    administration_id: str = Field(min_length=1, max_length=50, pattern=r"^[0-9]+$")
    token: str | None = Field(
        None,
        min_length=1,
        max_length=500,
        description="Moneybird's API token; left out, the stored one is kept",
    )
    states: list[str] | None = Field(
        None, max_length=10, description="Moneybird invoice states read (default: open, late)"
    )


class MoneybirdOut(BaseModel):
    administration_id: str
    states: list[str] | None
    token_set: bool = Field(description="whether an API token is stored (it is never shown)")


class ConnectionIn(BaseModel):
    """How and when an administration's bookkeeping is imported."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    source_kind: Literal["upload", "moneybird", "file"] = Field(
        "upload",
        description="upload: files uploaded or dropped in the administration's folder; "
        "moneybird: read from Moneybird's API; file: a file on the importer's server, whose "
        "path only the command line sets (kept as it is here)",
    )
    mapping: dict[str, Any] | None = Field(
        None,
        description="the column mapping of CSV and XLSX exports: a preset by name with the "
        'fields read otherwise, such as {"preset": "dutch", "amount": "Totaal"} (see '
        "GET …/mapping-presets); none: the first preset a file's header fits",
    )
    moneybird: MoneybirdIn | None = Field(None, description="for a moneybird connection")
    schedule: Schedule = "on_delivery"
    schedule_time: time | None = Field(None, description="daily: local time; default 06:00")
    time_zone: str | None = Field(
        None, max_length=64, description="IANA name, such as Europe/Amsterdam (the default)"
    )
    complete_list: bool = Field(
        False, description="the source lists every open item: what it lacks is settled"
    )
    ignore_invoice_numbers: list[str] = Field(
        default_factory=list, max_length=1000, description="numbers or ranges (100-199)"
    )
    ignore_debtor_numbers: list[str] = Field(default_factory=list, max_length=1000)
    ignore_payment_conditions: list[str] = Field(default_factory=list, max_length=1000)
    default_payment_term_days: int = Field(
        30,
        ge=0,
        le=365,
        description="days after the invoice date an invoice is due when its document has "
        "neither a due date nor payment terms (the invoice is flagged for a person)",
    )


class ConnectionOut(BaseModel):
    id: str
    name: str
    source_kind: str
    mapping: dict[str, Any] | None
    moneybird: MoneybirdOut | None
    path: str | None = Field(description="a file connection's path (set on the command line)")
    schedule: Schedule
    schedule_time: time | None
    time_zone: str | None
    complete_list: bool
    ignore_invoice_numbers: list[str]
    ignore_debtor_numbers: list[str]
    ignore_payment_conditions: list[str]
    default_payment_term_days: int
    last_success_started_at: datetime | None = Field(
        description="when the last successful run began"
    )


# --- the column mapping: presets and a preview --------------------------------------------


class MappingFieldOut(BaseModel):
    name: str
    required: bool
    meaning: str


class PresetOut(BaseModel):
    name: str
    title: str
    columns: dict[str, str | int | list[str | int]] = Field(
        description="the column each field reads, by title"
    )
    delimiter: str | None
    decimal_comma: bool
    thousands_separator: str | None
    date_format: str


class MappingPresetsOut(BaseModel):
    fields: list[MappingFieldOut] = Field(description="our fields, the required ones first")
    formats: dict[str, Any] = Field(description="the formats a mapping sets, with defaults")
    presets: list[PresetOut]


class PresetFitOut(BaseModel):
    name: str
    fits: bool
    lacking: list[str] = Field(description="the required columns the file's header lacks")


class PreviewColumnOut(BaseModel):
    title: str
    field: str | None = Field(description="the field the column feeds; none: not read")


class PreviewRowOut(BaseModel):
    position: str
    reference: str | None
    fields: dict[str, str | None]
    error: str | None = Field(description="why the row would be rejected")


class MappingPreviewOut(BaseModel):
    kind: str
    header: list[str]
    presets: list[PresetFitOut]
    preset: str | None
    mapping: dict[str, Any] = Field(description="the mapping read with: save it as `mapping`")
    columns: list[PreviewColumnOut]
    rows: list[PreviewRowOut]
    problem: str | None = Field(description="why the file cannot be read with this mapping")
    delimiter: str | None
    encoding: str | None


# --- runs ----------------------------------------------------------------------------------


class RunAcceptedOut(BaseModel):
    run_id: str
    status: str


class RunProgressOut(BaseModel):
    done: int
    total: int | None


class RejectedOut(BaseModel):
    position: str
    reference: str | None
    reason: str


class ImportRunDetail(BaseModel):
    """A run as the importer has it now, with each rejected record and its reason."""

    id: str
    connection_id: str | None
    source: str
    source_name: str | None
    trigger: str
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: RunProgressOut
    counts: dict[str, int]
    notices: list[str]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rejected: list[RejectedOut] = Field(description="the first 1,000")
