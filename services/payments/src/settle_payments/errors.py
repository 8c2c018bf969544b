"""Domain refusals mapped, in one place, to HTTP statuses and to the dead-letter topic."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from settle_payments.domain.errors import (
    IdempotencyKeyReused,
    InvalidFact,
    NotFound,
    NotPayable,
    PaymentsError,
    PspRefused,
    PspUnavailable,
)

# First match wins, so subclasses come before their bases.
STATUS_BY_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (NotFound, 404),
    (NotPayable, 409),
    (IdempotencyKeyReused, 409),
    (PspUnavailable, 503),
    # The PSP refused what we asked: our configuration (a wrong key), not the debtor's request.
    (PspRefused, 502),
    (PaymentsError, 422),
)

# An importer fact the payments service refuses is refused again on every retry.
DEAD_LETTER_ERRORS: tuple[type[Exception], ...] = (InvalidFact,)


def status_for(error: Exception) -> int:
    """The HTTP status of a refusal (500 for anything unexpected)."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 500


def install(app: FastAPI) -> None:
    """Answer every domain refusal with its status, a stable code and a readable sentence."""

    async def handle(_: Request, exc: Exception) -> JSONResponse:
        code = getattr(exc, "code", "payments_error")
        headers = {"Retry-After": "60"} if isinstance(exc, PspUnavailable) else None
        return JSONResponse(
            {"error": code, "detail": str(exc)}, status_code=status_for(exc), headers=headers
        )

    app.add_exception_handler(PaymentsError, handle)
