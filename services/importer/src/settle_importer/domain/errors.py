"""Refusals of the importer's use cases, one exception per kind; `errors.py` maps them to HTTP."""

from __future__ import annotations

import re

_ADMINISTRATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class ImporterError(Exception):
    """A request the importer refuses; the message is shown to the caller."""


class NotFound(ImporterError):
    """No such run or connection in this administration."""


class UnknownAdministration(NotFound):
    """An administration the gateway has not announced: nothing is imported into it."""

    def __init__(self, administration_id: str) -> None:
        super().__init__(
            f"unknown administration {administration_id!r}: administrations are created in the "
            "gateway (`settle gateway administration-create --administration "
            f"{administration_id} --name NAME --organisation ORGANISATION`, or POST "
            "/api/v1/administrations), and the importer knows one moments later"
        )


class RunInProgress(ImporterError):
    """The administration already has an import queued or running."""

    def __init__(self, administration_id: str) -> None:
        super().__init__(
            f"administration {administration_id} already has an import queued or running; "
            "try again when it has finished"
        )


class InvalidRequest(ImporterError):
    """The request itself is wrong (a bad connection setting, a bad cursor)."""


class FileRefused(ImporterError):
    """A delivered file is refused before anything is read from it (hostile or malformed)."""


class UnsupportedFile(FileRefused):
    """A file of a kind the importer does not read."""


class FileTooLarge(FileRefused):
    """A file larger than the configured limit."""


class SourceError(Exception):
    """The source as a whole cannot be read; the message says why in the user's terms."""


def check_administration_id(administration_id: str) -> str:
    """Refuse ids that could not be a folder name or a Kafka header safely."""
    if not _ADMINISTRATION_ID.match(administration_id):
        raise InvalidRequest(
            f"{administration_id[:80]!r} is not an administration id (letters, digits, "
            "'_', '.', ':' and '-', at most 64)"
        )
    return administration_id
