"""What an administration's id and name may be. The id is how every service knows the
administration: it names the importer's drop folder and travels in every event's headers, so
it is kept to characters that are safe in a folder name and a header."""

from __future__ import annotations

import re

from settle_gateway.domain.errors import InvalidAdministration

ADMINISTRATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
NAME_MAX = 200


def check_administration_id(administration_id: str) -> str:
    """The id, or InvalidAdministration saying what an id may hold."""
    if not ADMINISTRATION_ID.match(administration_id):
        raise InvalidAdministration(
            f"{administration_id[:80]!r} is not an administration id: letters, digits, '_', "
            "'.', ':' and '-', starting with a letter or digit, at most 64"
        )
    return administration_id


def check_name(name: str) -> str:
    """The name without surrounding spaces, or InvalidAdministration when it is empty or long."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidAdministration(f"an administration's name has 1 to {NAME_MAX} characters")
    return name
