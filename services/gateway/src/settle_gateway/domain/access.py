"""Who may do what: the roles of a user in an administration and the actions each allows
(docs/domain.md, Users and roles)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a user may do in one administration (docs/domain.md, Users and roles)."""

    ADMINISTRATOR = "administrator"
    STANDARD = "standard"
    COMMUNICATION = "communication"
    RESTRICTED = "restricted"


class Action(StrEnum):
    """Kinds of command, each allowed to some roles."""

    READ = "read"
    MESSAGE = "message"  # write to debtors, mark replies read
    WORK = "work"  # pause debtors and invoices, step control, imports
    SETTINGS = "settings"  # pause the administration, flows, users


ALLOWED: dict[Action, frozenset[Role]] = {
    Action.READ: frozenset(Role),
    Action.MESSAGE: frozenset({Role.ADMINISTRATOR, Role.STANDARD, Role.COMMUNICATION}),
    Action.WORK: frozenset({Role.ADMINISTRATOR, Role.STANDARD}),
    Action.SETTINGS: frozenset({Role.ADMINISTRATOR}),
}


class AdministrationNotVisible(Exception):
    """The caller has no role in the administration: to it, the administration does not
    exist, so nobody learns which administrations exist."""


class ActionNotAllowed(Exception):
    """The caller's role in the administration does not allow the action."""


@dataclass(frozen=True)
class Principal:
    """The caller of a request and the administrations it may see, with its role in each."""

    subject: str  # a user id, or an API token id
    kind: str  # password, oidc or api_token
    name: str
    roles: dict[str, Role]
    # Runs the platform: creates and lists organisations (never an API token).
    platform: bool = False

    def role_in(self, administration_id: str) -> Role | None:
        return self.roles.get(administration_id)

    def role_for(self, administration_id: str, action: Action) -> Role:
        """The caller's role in the administration when it may do `action` there; raises
        AdministrationNotVisible or ActionNotAllowed otherwise."""
        role = self.role_in(administration_id)
        if role is None:
            raise AdministrationNotVisible("administration not found")
        if role not in ALLOWED[action]:
            raise ActionNotAllowed(f"your role ({role.value}) may not do this ({action.value})")
        return role

    def administers(self) -> set[str]:
        """The administrations the caller is an administrator of."""
        return {a for a, role in self.roles.items() if role is Role.ADMINISTRATOR}

    def check_platform(self) -> None:
        """Raises ActionNotAllowed unless the caller runs the platform."""
        if not self.platform or self.kind == "api_token":
            raise ActionNotAllowed(
                "only a platform administrator may do this "
                "(settle gateway platform-admin --email … makes one)"
            )


class CannotDeactivate(Exception):
    """A user the caller may not deactivate (or activate)."""


def check_may_deactivate(caller: Principal, user_id: str, user_roles: dict[str, Role]) -> None:
    """A user's sign-in is theirs across the organisation, so an administrator deactivates
    only a user whose every administration they administer, and never themselves; raises
    CannotDeactivate saying what to do instead."""
    if user_id == caller.subject:
        raise CannotDeactivate("you cannot deactivate yourself; ask another administrator")
    others = set(user_roles) - caller.administers()
    if others:
        raise CannotDeactivate(
            f"the user also has a role in {len(others)} administration(s) you do not "
            "administer; take away their role here instead, or ask an administrator of those"
        )
