"""Domain refusals mapped, in one place, to HTTP statuses and to the dead-letter topic."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from settle_messaging.domain.errors import (
    InboundMailRefused,
    InvalidEmailAddress,
    InvalidMessageContext,
    InvalidReplyToken,
    InvalidStateTransition,
    MessagingError,
    NotFound,
    TemplateError,
    TemplateNotFound,
    UnsafeHeaderValue,
)

# First match wins, so subclasses come before their bases.
STATUS_BY_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (NotFound, 404),
    (TemplateNotFound, 404),
    (InvalidReplyToken, 404),
    (InvalidStateTransition, 409),
    (InboundMailRefused, 422),
    (TemplateError, 422),
    (InvalidMessageContext, 422),
    (InvalidEmailAddress, 422),
    (UnsafeHeaderValue, 422),
    (MessagingError, 422),
)

# A message request the domain refuses is refused again on every retry: it goes to the
# dead-letter topic at once. (A message that cannot go out is stored as failed, not refused.)
DEAD_LETTER_ERRORS: tuple[type[Exception], ...] = (MessagingError,)


def status_for(error: Exception) -> int:
    """The HTTP status of a refusal (500 for anything unexpected)."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 500


def install(app: FastAPI) -> None:
    """Answer every domain refusal with its status, a stable code and a readable sentence."""

    async def handle(_: Request, exc: Exception) -> JSONResponse:
        code = getattr(exc, "code", "not_found")
        return JSONResponse({"error": code, "detail": str(exc)}, status_code=status_for(exc))

    app.add_exception_handler(MessagingError, handle)
