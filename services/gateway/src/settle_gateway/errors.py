"""The gateway's refusals in one place: which domain error answers which HTTP status, and
which errors of the read-model consumer go to the dead-letter topic at once."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from settle_gateway.domain.access import ActionNotAllowed, AdministrationNotVisible
from settle_gateway.domain.errors import (
    AdministrationExists,
    InvalidAdministration,
    InvalidCursor,
    LastAdministrator,
    NotFound,
)
from settle_gateway.domain.portal import (
    NotPayable,
    PaymentNotFound,
    PaymentRefused,
    PaymentsUnavailable,
    TooManyAttempts,
)
from settle_shared.portal_links import InvalidPortalLink

# First match wins.
STATUS_BY_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (AdministrationNotVisible, 404),
    (NotFound, 404),
    (ActionNotAllowed, 403),
    (InvalidCursor, 422),
    (InvalidAdministration, 422),
    (LastAdministrator, 409),
    (AdministrationExists, 409),
    # The debtor portal answers these with a page of its own, with these statuses.
    (InvalidPortalLink, 404),
    (TooManyAttempts, 429),
    (NotPayable, 422),
    (PaymentRefused, 409),
    (PaymentNotFound, 404),
    (PaymentsUnavailable, 503),
)

# The projection refuses no event: an event it cannot use is skipped, not dead-lettered.
DEAD_LETTER_ERRORS: tuple[type[Exception], ...] = ()


def status_of(error: Exception) -> int:
    """The HTTP status answering a domain error (500 when it is not one of them)."""
    return next((status for kind, status in STATUS_BY_ERROR if isinstance(error, kind)), 500)


def as_http(error: Exception) -> HTTPException:
    """The domain error as the HTTP answer the API gives for it."""
    return HTTPException(status_of(error), detail=str(error))


async def _answer(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=status_of(error))


def install(app: FastAPI) -> None:
    """Answer every domain error of STATUS_BY_ERROR with its status and its message."""
    for kind, _ in STATUS_BY_ERROR:
        app.add_exception_handler(kind, _answer)
