"""What an old reply link asks of the service: the portal's reply page for its thread."""

from __future__ import annotations

from settle_messaging.application.context import Messaging
from settle_messaging.application.inbound import open_thread


async def portal_reply_page(messaging: Messaging, token: str) -> str:
    """The portal's reply page of the thread a reply link names, with a fresh portal link;
    raises ``InvalidReplyToken`` for a link that is not (or no longer) valid."""
    async with messaging.transaction() as store:
        thread = await open_thread(store, messaging, token)
        answered = await store.messages.last_outbound(thread.thread_id)
        invoice_ids = (await store.messages.invoice_ids([answered]))[answered] if answered else []
    links = messaging.portal_links(
        thread.administration_id, thread.debtor_id, invoice_ids, thread.thread_id
    )
    return links.reply
