"""The importer's refusals mapped in one place: to an HTTP status, and to the dead-letter topic."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from settle_importer.domain.errors import (
    FileRefused,
    FileTooLarge,
    ImporterError,
    InvalidRequest,
    NotFound,
    RunInProgress,
    UnsupportedFile,
)

# First match wins: a subclass comes before its base class.
STATUS_BY_ERROR: tuple[tuple[type[ImporterError], int], ...] = (
    (NotFound, 404),
    (RunInProgress, 409),
    (FileTooLarge, 413),
    (UnsupportedFile, 415),
    (FileRefused, 422),
    (InvalidRequest, 422),
)

# An announced administration whose id the importer refuses (it could not name a drop folder),
# or whose headers contradict its payload: no retry changes that.
DEAD_LETTER_ERRORS: tuple[type[Exception], ...] = (InvalidRequest,)


def status_of(error: Exception) -> int:
    """The HTTP status of a refusal (400 for one not listed)."""
    return next((status for kind, status in STATUS_BY_ERROR if isinstance(error, kind)), 400)


def install(app: FastAPI) -> None:
    """Answer every refusal of the use cases with its status and its message."""

    async def refused(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_of(exc))

    app.add_exception_handler(ImporterError, refused)
