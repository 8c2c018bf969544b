"""Refusals of the gateway's queries, mapped to HTTP statuses in settle_gateway.errors."""

from __future__ import annotations


class NotFound(Exception):
    """What was asked for is not in the read model (or not visible to the caller)."""


class InvalidCursor(Exception):
    """A page cursor the gateway did not hand out."""

    def __init__(self) -> None:
        super().__init__("invalid cursor")


class LastAdministrator(Exception):
    """A change that would leave an administration without an administrator."""

    def __init__(self) -> None:
        super().__init__(
            "an administration keeps at least one administrator: "
            "give another user the administrator role first"
        )


class AdministrationExists(Exception):
    """An administration with this id exists already (ids are unique across organisations)."""

    def __init__(self, administration_id: str) -> None:
        super().__init__(f"administration {administration_id} exists already; choose another id")


class InvalidAdministration(Exception):
    """An administration id or name that cannot be used."""
