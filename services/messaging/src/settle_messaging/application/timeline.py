"""Reading messages: the timeline of a debtor, an invoice, a case or a thread, the inbox of
replies, one message, and a stored attachment. Pages run newest first; a cursor names the last
message of the page before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from settle_messaging.application.ports import Store, TimelineQuery
from settle_messaging.domain.errors import NotFound
from settle_messaging.domain.messages import Message, StoredAttachment


@dataclass(frozen=True)
class TimelinePage:
    messages: list[Message]
    next_cursor: str | None


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        at_text, _, last_id = cursor.partition("|")
        return datetime.fromisoformat(at_text), last_id
    except ValueError as exc:
        raise NotFound("unknown cursor") from exc


async def page_of(
    store: Store, query: TimelineQuery, limit: int, cursor: str | None = None
) -> TimelinePage:
    """A page of messages matching ``query``, newest first."""
    found = await store.timeline.page(query, limit + 1, _after(cursor))
    more = len(found) > limit
    found = found[:limit]
    next_cursor = None
    if more and found:
        last = found[-1]
        next_cursor = f"{last.created_at.isoformat()}|{last.message_id}"
    return TimelinePage(found, next_cursor)


async def message_of(store: Store, administration_id: str, message_id: str) -> Message:
    """One message with its bodies, recipients and attachments."""
    query = TimelineQuery(administration_id=administration_id, message_id=message_id)
    page = await page_of(store, query, 1)
    if not page.messages:
        raise NotFound(f"message {message_id} does not exist")
    return page.messages[0]


async def attachment_of(
    store: Store, administration_id: str, message_id: str, attachment_id: str
) -> StoredAttachment:
    """An attachment (a letter's PDF) as it was stored."""
    found = await store.messages.attachment(administration_id, message_id, attachment_id)
    if found is None:
        raise NotFound(f"attachment {attachment_id} does not exist")
    return found
