"""Phases: where an open invoice stands in its dunning flow.

A phase is a stage plus, for reminders, a level (reminder 1, 2, ...). Phases are totally
ordered so that "the invoice only moves forward" is a plain comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import total_ordering


class Stage(StrEnum):
    """The stages of an invoice, in the order an invoice passes through them."""

    SENT = "sent"
    PRE_REMINDER = "pre_reminder"
    REMINDER = "reminder"
    FINAL_REMINDER = "final_reminder"
    READY_FOR_COLLECTION = "ready_for_collection"
    IN_COLLECTION = "in_collection"
    WITH_BAILIFF = "with_bailiff"

    @property
    def rank(self) -> int:
        """Position of the stage in the dunning order."""
        return _STAGE_RANK[self]


_STAGE_RANK: dict[Stage, int] = {stage: rank for rank, stage in enumerate(Stage)}
_CODE = re.compile(r"^reminder_([1-9][0-9]*)$")


@total_ordering
@dataclass(frozen=True)
class Phase:
    """A stage, and for `Stage.REMINDER` its level (1 = first reminder)."""

    stage: Stage
    level: int = 0

    def __post_init__(self) -> None:
        if self.stage is Stage.REMINDER and self.level < 1:
            raise ValueError("a reminder phase needs a level of 1 or more")
        if self.stage is not Stage.REMINDER and self.level != 0:
            raise ValueError(f"phase {self.stage} has no level")

    @property
    def code(self) -> str:
        """Stable text form, e.g. `sent`, `reminder_2`, `ready_for_collection`."""
        if self.stage is Stage.REMINDER:
            return f"reminder_{self.level}"
        return self.stage.value

    @property
    def is_reminder(self) -> bool:
        """True for every phase a reminder moves an invoice into (pre-reminder onwards).

        "Reminders paused" still lets the invoice itself be sent; everything past `sent`
        counts as a reminder.
        """
        return self.stage is not Stage.SENT

    @property
    def belongs_to_collection(self) -> bool:
        """True once a collection case owns the invoice; dunning flows never go there."""
        return self.stage.rank >= Stage.IN_COLLECTION.rank

    @classmethod
    def parse(cls, code: str) -> Phase:
        """Parse a phase code; raises ValueError on an unknown code."""
        match = _CODE.match(code)
        if match:
            return cls(Stage.REMINDER, int(match.group(1)))
        try:
            stage = Stage(code)
        except ValueError:
            raise ValueError(f"unknown phase {code!r}") from None
        if stage is Stage.REMINDER:
            raise ValueError("a reminder phase needs a level, e.g. 'reminder_1'")
        return cls(stage)

    def _key(self) -> tuple[int, int]:
        return (self.stage.rank, self.level)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Phase):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        return self.code


def reminder(level: int) -> Phase:
    """The phase of the `level`-th reminder."""
    return Phase(Stage.REMINDER, level)


SENT = Phase(Stage.SENT)
PRE_REMINDER = Phase(Stage.PRE_REMINDER)
FINAL_REMINDER = Phase(Stage.FINAL_REMINDER)
READY_FOR_COLLECTION = Phase(Stage.READY_FOR_COLLECTION)
IN_COLLECTION = Phase(Stage.IN_COLLECTION)
WITH_BAILIFF = Phase(Stage.WITH_BAILIFF)
