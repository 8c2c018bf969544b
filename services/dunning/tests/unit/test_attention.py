"""How attention items are raised, merged and resolved: one open item per subject and
reason (domain/attention.py, `apply_attention`)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from settle_dunning.domain.attention import (
    AttentionAction,
    AttentionItem,
    AttentionReason,
    AttentionSubject,
    apply_attention,
    letter_posted,
    letter_to_post,
    needs_call,
    resolve,
    unread_messages,
)

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(days=3)


def stored(change_item: AttentionItem, item_id: int) -> AttentionItem:
    """An item as the database holds it after an earlier apply."""
    return replace(change_item, id=item_id, raised_at=EARLIER)


def test_raising_an_item_that_is_not_open_opens_one_and_publishes_the_change() -> None:
    call = needs_call("deb-1", "inv-1", "call")

    update = apply_attention([], [call], NOW)

    assert update.effective == (call,)
    [item] = update.raised
    assert (item.key, item.invoice_ids, item.sentence) == (call.key, ("inv-1",), call.sentence)
    assert (item.id, item.raised_at, item.resolved_at) == (None, NOW, None)
    assert update.merged == update.resolved == ()


def test_raising_an_open_item_again_merges_its_invoices_and_publishes_the_update() -> None:
    [open_item] = apply_attention([], [needs_call("deb-1", "inv-1", "call")], NOW).raised
    item = stored(open_item, 7)

    update = apply_attention([item], [needs_call("deb-1", "inv-2", "call")], NOW)

    assert update.raised == update.resolved == ()
    [merged] = update.merged
    assert (merged.id, merged.invoice_ids, merged.raised_at) == (7, ("inv-1", "inv-2"), EARLIER)
    [published] = update.effective
    assert (published.action, published.key) == (AttentionAction.UPDATE, item.key)
    assert published.invoice_ids == ("inv-1", "inv-2")


def test_raising_an_open_item_again_brings_its_sentence_up_to_date() -> None:
    [open_item] = apply_attention([], [unread_messages("deb-1", 1)], NOW).raised
    item = stored(open_item, 3)

    update = apply_attention([item], [unread_messages("deb-1", 2)], NOW)

    [merged] = update.merged
    assert merged.sentence == "This debtor sent 2 messages nobody has read."
    # Published, so a read model's sentence does not go stale ("1 message" when it is 1,009).
    [published] = update.effective
    assert published.action is AttentionAction.UPDATE
    assert published.sentence == "This debtor sent 2 messages nobody has read."


def test_an_open_item_raised_again_and_then_resolved_publishes_only_the_resolution() -> None:
    [open_item] = apply_attention([], [unread_messages("deb-1", 1)], NOW).raised
    item = stored(open_item, 3)
    all_read = resolve(
        AttentionReason.UNREAD_MESSAGES, AttentionSubject.DEBTOR, "deb-1", "All read."
    )

    update = apply_attention([item], [unread_messages("deb-1", 2), all_read], NOW)

    assert [change.action for change in update.effective] == [AttentionAction.RESOLVE]


def test_raising_the_same_item_with_nothing_new_changes_nothing() -> None:
    call = needs_call("deb-1", "inv-1", "call")
    item = stored(apply_attention([], [call], NOW).raised[0], 1)

    update = apply_attention([item], [call], NOW)

    assert update.effective == update.raised == update.merged == update.resolved == ()


def test_resolving_an_open_item_closes_it_with_the_reason_and_publishes_the_change() -> None:
    item = stored(apply_attention([], [letter_to_post("inv-1")], NOW).raised[0], 5)
    posted = letter_posted("inv-1")

    update = apply_attention([item], [posted], NOW)

    assert update.effective == (posted,)
    [resolved] = update.resolved
    assert (resolved.id, resolved.resolved_at, resolved.resolution) == (
        5,
        NOW,
        "The letter was posted.",
    )
    assert update.raised == update.merged == ()


def test_resolving_an_item_that_is_not_open_does_nothing() -> None:
    update = apply_attention([], [letter_posted("inv-1"), unread_messages("deb-1", 0)], NOW)

    assert update.effective == update.raised == update.merged == update.resolved == ()


def test_changes_apply_in_order_within_one_call() -> None:
    # Raised and resolved by the same changes: stored resolved, both changes published.
    raise_it, resolve_it = letter_to_post("inv-1"), letter_posted("inv-1")
    update = apply_attention([], [raise_it, resolve_it, raise_it], NOW)

    assert update.effective == (raise_it, resolve_it, raise_it)
    assert [(i.resolved_at, i.resolution) for i in update.raised] == [
        (NOW, "The letter was posted."),
        (None, None),
    ]


def test_an_item_merged_then_resolved_is_only_resolved() -> None:
    item = stored(apply_attention([], [unread_messages("deb-1", 1)], NOW).raised[0], 9)

    update = apply_attention(
        [item], [unread_messages("deb-1", 2), unread_messages("deb-1", 0)], NOW
    )

    assert update.merged == ()
    assert [(i.id, i.resolution) for i in update.resolved] == [
        (9, "All messages from this debtor have been read.")
    ]


def test_a_new_item_merges_later_raises_before_it_is_stored() -> None:
    first, second = needs_call("deb-1", "inv-1", "call"), needs_call("deb-1", "inv-2", "call")

    update = apply_attention([], [first, second], NOW)

    assert update.effective == (first,)
    assert [i.invoice_ids for i in update.raised] == [("inv-1", "inv-2")]
    assert update.merged == ()
