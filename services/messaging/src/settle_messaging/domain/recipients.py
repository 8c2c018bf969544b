"""Whom an email can go to: the debtor's addresses that are valid and not blocked after a hard
bounce, or the reason (a stable code and a sentence) why none can be mailed."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from settle_messaging.domain.email_builder import Mailbox, validate_email_address
from settle_messaging.domain.errors import InvalidEmailAddress

# The addresses to mail, or (reason code, detail) when there are none.
Addressing = tuple[list[str], tuple[str, str] | None]


def valid_addresses(emails: Sequence[str]) -> tuple[list[str], list[str]]:
    """The debtor's syntactically valid addresses (normalised, each once), and what is wrong
    with the others."""
    valid: list[str] = []
    problems: list[str] = []
    for email in emails:
        try:
            valid.append(validate_email_address(email))
        except InvalidEmailAddress as exc:
            problems.append(str(exc))
    return list(dict.fromkeys(valid)), problems


def usable_addresses(
    emails: Sequence[str], valid: list[str], problems: list[str], blocked: Collection[str]
) -> Addressing:
    """The addresses that can be mailed, or the reason code and detail why none can."""
    if not emails:
        return [], ("email_missing", "the debtor has no email address")
    if not valid:
        return [], ("invalid_email_address", "; ".join(problems))
    usable = [email for email in valid if email not in blocked]
    if not usable:
        refused = ", ".join(sorted(valid))
        return [], ("address_blocked", f"blocked after a hard bounce: {refused}")
    return usable, None


def normalised_address(recipient: str | None) -> str | None:
    """A bounced recipient as an address that can be blocked, or None when it is none."""
    if not recipient:
        return None
    try:
        return validate_email_address(recipient)
    except InvalidEmailAddress:
        return None


def was_sent_to(recipients: Sequence[Mailbox], address: str | None) -> bool:
    """Whether a (normalised) address is one of the recipients a message went to."""
    return address is not None and any(
        normalised_address(mailbox.address) == address for mailbox in recipients
    )
