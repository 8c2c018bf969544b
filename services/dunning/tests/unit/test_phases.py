import pytest

from settle_dunning.domain import Phase, Stage
from settle_dunning.domain.phases import (
    FINAL_REMINDER,
    IN_COLLECTION,
    PRE_REMINDER,
    READY_FOR_COLLECTION,
    SENT,
    WITH_BAILIFF,
    reminder,
)

pytestmark = pytest.mark.unit


def test_phases_are_ordered_from_sent_to_bailiff() -> None:
    ordered = [
        SENT,
        PRE_REMINDER,
        reminder(1),
        reminder(2),
        reminder(10),
        FINAL_REMINDER,
        READY_FOR_COLLECTION,
        IN_COLLECTION,
        WITH_BAILIFF,
    ]
    assert sorted(reversed(ordered)) == ordered
    assert max(reminder(3), FINAL_REMINDER) == FINAL_REMINDER


@pytest.mark.parametrize(
    "code",
    ["sent", "pre_reminder", "reminder_1", "reminder_12", "final_reminder", "with_bailiff"],
)
def test_code_round_trips(code: str) -> None:
    assert Phase.parse(code).code == code


@pytest.mark.parametrize("code", ["reminder", "reminder_0", "reminder_x", "overdue", ""])
def test_unknown_codes_are_refused(code: str) -> None:
    with pytest.raises(ValueError):
        Phase.parse(code)


def test_a_reminder_needs_a_level_and_other_stages_have_none() -> None:
    with pytest.raises(ValueError):
        Phase(Stage.REMINDER)
    with pytest.raises(ValueError):
        Phase(Stage.SENT, 2)


def test_only_the_sent_phase_is_not_a_reminder() -> None:
    assert not SENT.is_reminder
    assert PRE_REMINDER.is_reminder and reminder(1).is_reminder


def test_collection_phases_belong_to_a_case() -> None:
    assert IN_COLLECTION.belongs_to_collection and WITH_BAILIFF.belongs_to_collection
    assert not READY_FOR_COLLECTION.belongs_to_collection
