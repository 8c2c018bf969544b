"""Keyset paging of the read views: opaque cursors and the condition "after this row"."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from settle_gateway.domain.errors import InvalidCursor


def encode_cursor(values: list[Any]) -> str:
    """The cursor of the row with these sort values (the last of a page)."""
    raw = json.dumps([str(v) if v is not None else None for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[str]:
    """The `size` sort values in a cursor; raises InvalidCursor for any other text."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError:
        raise InvalidCursor from None
    if (
        not isinstance(values, list)
        or len(values) != size
        or not all(isinstance(v, str) for v in values)
    ):
        raise InvalidCursor
    return values


def decode_time_cursor(cursor: str) -> tuple[datetime, str]:
    """(time, tie) of a cursor of a page ordered by time, newest first."""
    moment, tie = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(moment), tie
    except ValueError:
        raise InvalidCursor from None


def after(
    column: sa.ColumnElement[Any],
    tie: sa.ColumnElement[Any],
    value: Any,
    tie_value: Any,
    desc: bool,
) -> sa.ColumnElement[bool]:
    """Keyset condition: rows after (value, tie_value) in the sort order.

    A row-value comparison, `(a, b) > (x, y)`: PostgreSQL and SQLite both seek straight to
    that point in the index on (…, a, b). Spelled out with OR, only the bound on `a` reaches
    the index, and a deep page reads every row of its first sort value before the page."""
    after_row = sa.tuple_(column, tie)
    point = sa.tuple_(value, tie_value)
    return after_row < point if desc else after_row > point
