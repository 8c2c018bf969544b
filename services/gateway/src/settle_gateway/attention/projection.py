"""The attention items' part of the read model: rm_attention, as dunning raises and resolves
them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from settle_gateway.adapters.tables import rm_attention
from settle_gateway.invoices.projection import Batch
from settle_shared.db import aware
from settle_shared.events import dunning


async def attention_changed(
    batch: Batch,
    fact: dunning.AttentionRaised | dunning.AttentionUpdated | dunning.AttentionResolved,
    at: datetime,
) -> None:
    """An attention item raised, updated or resolved, unless a newer change is stored; the
    batch counts the change for the dashboard."""
    session = batch.session
    key = {
        "administration_id": fact.administration_id,
        "subject_type": fact.subject_type,
        "subject_id": fact.subject_id,
        "reason": fact.reason,
    }
    where = [rm_attention.c[name] == value for name, value in key.items()]
    current = (await session.execute(sa.select(rm_attention).where(*where))).first()
    is_open = not isinstance(fact, dunning.AttentionResolved)
    if current is None:
        await session.execute(
            sa.insert(rm_attention).values(**key, open=is_open, sentence=fact.sentence, at=at)
        )
        was_open = False
    else:
        stored_at = aware(current.at)
        assert stored_at is not None
        if at < stored_at:
            return
        await session.execute(
            sa.update(rm_attention)
            .where(*where)
            .values(open=is_open, sentence=fact.sentence, at=at)
        )
        was_open = current.open
    if is_open != was_open:
        counter = (fact.administration_id, fact.subject_type, fact.reason)
        batch.attention[counter] += 1 if is_open else -1
