"""What the reply page asks of the service: the thread a link opens and the language to speak
in it, and storing an answer written on the page."""

from __future__ import annotations

from dataclasses import dataclass

from settle_messaging.application.context import Messaging
from settle_messaging.application.inbound import open_thread, receive_page_reply
from settle_messaging.domain.messages import Thread

LANGUAGES = ("nl", "en", "de", "fr")


@dataclass(frozen=True)
class OpenThread:
    """The thread a reply link opens, and the language of its newest message."""

    thread: Thread
    language: str


@dataclass(frozen=True)
class StoredAnswer:
    """An answer as stored, and the language to thank the debtor in."""

    text: str
    language: str


async def _language(messaging: Messaging, thread_id: str) -> str:
    async with messaging.transaction() as store:
        language = await store.messages.language_of_thread(thread_id)
    return language if language in LANGUAGES else "en"


async def thread_of(messaging: Messaging, token: str) -> OpenThread:
    """The thread of a reply link; raises ``InvalidReplyToken`` for a link that is not (or no
    longer) valid."""
    async with messaging.transaction() as store:
        thread = await open_thread(store, messaging, token)
    return OpenThread(thread, await _language(messaging, thread.thread_id))


async def answer(messaging: Messaging, token: str, text: str) -> StoredAnswer:
    """Store the debtor's answer as an unread message of the thread."""
    message_id = await receive_page_reply(messaging, token, text)
    async with messaging.transaction() as store:
        stored = await store.messages.get(message_id)
    assert stored is not None
    return StoredAnswer(stored.body_text, await _language(messaging, stored.thread_id))
