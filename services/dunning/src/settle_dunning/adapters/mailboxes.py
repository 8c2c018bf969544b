"""What messaging reported about each debtor's email (last sent, last undeliverable) and
which of the debtor's replies are unread, each with the time of the fact that set it."""

from __future__ import annotations

import sqlalchemy as sa

from settle_dunning.adapters.sql import SqlRepository
from settle_dunning.adapters.tables import debtor_mailboxes, debtor_replies
from settle_dunning.domain.mailbox import Mailbox, ReplyMark
from settle_shared.db import aware


class MailboxRepository(SqlRepository):
    """The `debtor_mailboxes` and `debtor_replies` tables."""

    async def get(self, administration_id: str, debtor_id: str) -> Mailbox:
        """What messaging reported about the debtor's email (empty when nothing yet)."""
        row = (
            await self.session.execute(
                await self.locked(
                    sa.select(
                        debtor_mailboxes.c.last_sent_at, debtor_mailboxes.c.last_undeliverable_at
                    ).where(
                        debtor_mailboxes.c.administration_id == administration_id,
                        debtor_mailboxes.c.debtor_id == debtor_id,
                    )
                )
            )
        ).one_or_none()
        if row is None:
            return Mailbox()
        return Mailbox(aware(row.last_sent_at), aware(row.last_undeliverable_at))

    async def save(self, administration_id: str, debtor_id: str, box: Mailbox) -> None:
        """Store the debtor's mailbox."""
        values = {
            "last_sent_at": box.last_sent_at,
            "last_undeliverable_at": box.last_undeliverable_at,
        }
        updated = await self.session.execute(
            sa.update(debtor_mailboxes)
            .where(
                debtor_mailboxes.c.administration_id == administration_id,
                debtor_mailboxes.c.debtor_id == debtor_id,
            )
            .values(**values)
        )
        if getattr(updated, "rowcount", 0) == 0:
            await self.session.execute(
                sa.insert(debtor_mailboxes).values(
                    administration_id=administration_id, debtor_id=debtor_id, **values
                )
            )

    async def reply_mark(self, administration_id: str, message_id: str) -> ReplyMark | None:
        """Whether a debtor's reply is unread, or None when it is unknown."""
        row = (
            await self.session.execute(
                await self.locked(
                    sa.select(debtor_replies.c.unread, debtor_replies.c.marked_at).where(
                        debtor_replies.c.administration_id == administration_id,
                        debtor_replies.c.message_id == message_id,
                    )
                )
            )
        ).one_or_none()
        if row is None:
            return None
        marked_at = aware(row.marked_at)
        assert marked_at is not None
        return ReplyMark(unread=row.unread, at=marked_at)

    async def save_reply_mark(
        self, administration_id: str, message_id: str, debtor_id: str, mark: ReplyMark
    ) -> None:
        """Store whether a reply is unread."""
        values = {"unread": mark.unread, "marked_at": mark.at}
        updated = await self.session.execute(
            sa.update(debtor_replies)
            .where(
                debtor_replies.c.administration_id == administration_id,
                debtor_replies.c.message_id == message_id,
            )
            .values(**values)
        )
        if getattr(updated, "rowcount", 0) == 0:
            await self.session.execute(
                sa.insert(debtor_replies).values(
                    administration_id=administration_id,
                    message_id=message_id,
                    debtor_id=debtor_id,
                    **values,
                )
            )

    async def unread_replies(self, administration_id: str, debtor_id: str) -> int:
        """How many of the debtor's replies nobody has read."""
        count = await self.session.scalar(
            sa.select(sa.func.count()).where(
                debtor_replies.c.administration_id == administration_id,
                debtor_replies.c.debtor_id == debtor_id,
                debtor_replies.c.unread.is_(True),
            )
        )
        return int(count or 0)
