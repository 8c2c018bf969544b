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


class CannotInvite(Exception):
    """An email that cannot be given a role here (its user is another organisation's)."""


class InvitationNotNeeded(Exception):
    """A user who chose a password already is not invited again."""


class OrganisationExists(Exception):
    """An organisation of this name exists already (the command line finds them by name)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"an organisation named {name!r} exists already; choose another name")


class InvalidInvitation(Exception):
    """An invitation that is unknown, spent, expired or of a deactivated user."""


class InvalidOrganisation(Exception):
    """An organisation name that cannot be used."""


class InvalidConnection(Exception):
    """A bookkeeping connection that cannot be saved as it was sent."""
