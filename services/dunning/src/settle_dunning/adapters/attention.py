"""The attention items of each administration: loads the open items the changes touch,
stores what the domain's `apply_attention` decided, and pages the items for the API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from settle_dunning.adapters.sql import SqlRepository, chunks
from settle_dunning.adapters.tables import attention_items
from settle_dunning.domain import AttentionChange, AttentionReason, AttentionSubject
from settle_dunning.domain.attention import AttentionItem, apply_attention


def _item(row: Any) -> AttentionItem:
    return AttentionItem(
        subject=AttentionSubject(row.subject),
        subject_id=row.subject_id,
        reason=AttentionReason(row.reason),
        sentence=row.sentence,
        invoice_ids=tuple(row.invoice_ids),
        raised_at=row.raised_at,
        id=row.id,
        resolved_at=row.resolved_at,
        resolution=row.resolution,
    )


class AttentionRepository(SqlRepository):
    """The `attention_items` table."""

    async def apply(
        self, administration_id: str, changes: Sequence[AttentionChange]
    ) -> list[AttentionChange]:
        """Raise and resolve items (see `apply_attention`); returns the changes that changed
        something (to publish)."""
        if not changes:
            return []
        keys = sorted({(c.subject.value, c.subject_id, c.reason.value) for c in changes})
        open_items: list[AttentionItem] = []
        for chunk in chunks(keys):
            rows = await self.session.execute(
                sa.select(attention_items).where(
                    attention_items.c.administration_id == administration_id,
                    attention_items.c.resolved_at.is_(None),
                    sa.tuple_(
                        attention_items.c.subject,
                        attention_items.c.subject_id,
                        attention_items.c.reason,
                    ).in_(chunk),
                )
            )
            open_items += [_item(row) for row in rows]
        update = apply_attention(open_items, changes, self.now)
        if update.raised:
            await self.session.execute(
                sa.insert(attention_items),
                [
                    {
                        "administration_id": administration_id,
                        "subject": item.subject.value,
                        "subject_id": item.subject_id,
                        "reason": item.reason.value,
                        "sentence": item.sentence,
                        "invoice_ids": list(item.invoice_ids),
                        "raised_at": item.raised_at,
                        "resolved_at": item.resolved_at,
                        "resolution": item.resolution,
                    }
                    for item in update.raised
                ],
            )
        if update.merged:
            await self.session.execute(
                sa.update(attention_items)
                .where(attention_items.c.id == sa.bindparam("b_id"))
                .values(invoice_ids=sa.bindparam("b_ids"), sentence=sa.bindparam("b_sentence")),
                [
                    {"b_id": item.id, "b_ids": list(item.invoice_ids), "b_sentence": item.sentence}
                    for item in update.merged
                ],
            )
        if update.resolved:
            await self.session.execute(
                sa.update(attention_items)
                .where(attention_items.c.id == sa.bindparam("b_id"))
                .values(resolved_at=sa.bindparam("b_at"), resolution=sa.bindparam("b_why")),
                [
                    {"b_id": item.id, "b_at": item.resolved_at, "b_why": item.resolution}
                    for item in update.resolved
                ],
            )
        return list(update.effective)

    async def open_item(
        self,
        administration_id: str,
        subject: AttentionSubject,
        subject_id: str,
        reason: AttentionReason,
    ) -> AttentionItem | None:
        """The open item of a subject and reason (there is one at most), or None."""
        row = (
            await self.session.execute(
                sa.select(attention_items).where(
                    attention_items.c.administration_id == administration_id,
                    attention_items.c.subject == subject.value,
                    attention_items.c.subject_id == subject_id,
                    attention_items.c.reason == reason.value,
                    attention_items.c.resolved_at.is_(None),
                )
            )
        ).first()
        return None if row is None else _item(row)

    async def page(
        self, administration_id: str, *, open_only: bool, after: int | None, limit: int
    ) -> list[AttentionItem]:
        """A keyset page of attention items, newest first."""
        query = sa.select(attention_items).where(
            attention_items.c.administration_id == administration_id
        )
        if open_only:
            query = query.where(attention_items.c.resolved_at.is_(None))
        if after is not None:
            query = query.where(attention_items.c.id < after)
        query = query.order_by(attention_items.c.id.desc()).limit(limit)
        return [_item(row) for row in await self.session.execute(query)]
