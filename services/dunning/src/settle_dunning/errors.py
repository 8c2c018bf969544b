"""Dunning's refusals mapped in one place: to HTTP statuses for the internal API, and to the
dead-letter topic for the consumers."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from settle_dunning.domain import (
    BusinessDateBeforeLastRun,
    DunningError,
    FlowExists,
    FlowInUse,
    InvalidFact,
    InvalidFlow,
    NoMatchingFlow,
    NotFound,
    RescheduleInPast,
)
from settle_dunning.domain.errors import InvalidPlan, InvalidPlanOffers, PlanRefused

# First match wins. Anything not listed is a refusal of the invoice's current state
# (settled, in collection, paused, nothing planned, ...): 409 Conflict.
STATUS_BY_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (NotFound, 404),
    (InvalidFlow, 422),
    (InvalidPlan, 422),
    (InvalidPlanOffers, 422),
    (RescheduleInPast, 422),
    (FlowExists, 409),
    (FlowInUse, 409),
    (BusinessDateBeforeLastRun, 409),
    (NoMatchingFlow, 409),
    (DunningError, 409),
)

# Facts no retry can make applicable: they go to the dead-letter topic at once.
DEAD_LETTER_ERRORS: tuple[type[Exception], ...] = (InvalidFact,)


def status_of(error: Exception) -> int:
    """The HTTP status of a refusal."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 500


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def field_location(field: str) -> list[str | int]:
    """`steps[2].channels[0]` -> ["body", "steps", 2, "channels", 0]."""
    loc: list[str | int] = ["body"]
    for name, index in _PART.findall(field):
        loc.append(int(index) if index else name)
    return loc


async def _dunning_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DunningError)
    if isinstance(exc, InvalidFlow):
        detail: Any = [
            {"loc": field_location(e.field), "msg": e.message, "type": "invalid_flow"}
            for e in exc.errors
        ]
    elif isinstance(exc, InvalidPlan):
        detail = [
            {"loc": field_location(e.field), "msg": e.message, "type": "invalid_plan"}
            for e in exc.errors
        ]
    elif isinstance(exc, InvalidPlanOffers):
        detail = [
            {"loc": field_location(e.field), "msg": e.message, "type": "invalid_plan_offers"}
            for e in exc.errors
        ]
    elif isinstance(exc, RescheduleInPast):
        detail = [{"loc": ["body", "to"], "msg": str(exc), "type": "reschedule_in_past"}]
    else:
        detail = str(exc)
    body: dict[str, Any] = {"detail": detail}
    if isinstance(exc, PlanRefused):
        body["error"] = exc.code
    return JSONResponse(body, status_code=status_of(exc))


def install(app: FastAPI) -> None:
    """Answer every refusal of the domain with its status and what was refused."""
    app.add_exception_handler(DunningError, _dunning_error)
