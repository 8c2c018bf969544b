"""Domain refusals mapped, in one place, to HTTP statuses and to the dead-letter topic."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from settle_collection.domain.errors import (
    CollectionError,
    InvalidCase,
    InvalidFact,
    InvalidSettings,
    NotAllowed,
    NotFound,
    PartnerUpdateRefused,
    RemitTooMuch,
)
from settle_law.interest import RateTableError, RateUnknown

# First match wins, so subclasses come before their bases.
STATUS_BY_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (NotFound, 404),
    (NotAllowed, 409),
    (RemitTooMuch, 422),
    (InvalidCase, 422),
    (InvalidSettings, 422),
    (RateTableError, 422),
    (RateUnknown, 422),
    (CollectionError, 422),
)

# Refused again on every retry: a fact that cannot be true, a partner's report about a case it
# does not hold or that cannot be true.
DEAD_LETTER_ERRORS: tuple[type[Exception], ...] = (InvalidFact, PartnerUpdateRefused)


def status_for(error: Exception) -> int:
    """The HTTP status of a refusal (500 for anything unexpected)."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 500


def install(app: FastAPI) -> None:
    """Answer every domain refusal with its status, a stable code and a readable sentence."""

    async def handle(_: Request, exc: Exception) -> JSONResponse:
        code = getattr(exc, "code", "collection_error")
        return JSONResponse({"error": code, "detail": str(exc)}, status_code=status_for(exc))

    for kind in (CollectionError, RateTableError, RateUnknown):
        app.add_exception_handler(kind, handle)
