"""Queries of import runs (the finished runs of an administration, newest first) and the
connections as a person edits them, translated to and from the importer's form."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.paging import after, decode_time_cursor, encode_cursor
from settle_gateway.adapters.tables import rm_import_runs
from settle_gateway.domain.errors import InvalidConnection
from settle_gateway.imports.models import (
    ConnectionIn,
    ConnectionOut,
    ImportRunOut,
    ImportRunPage,
    MoneybirdOut,
)
from settle_shared.db import aware


async def run_page(
    session: AsyncSession, administration_id: str, *, limit: int, cursor: str | None
) -> ImportRunPage:
    """Finished import runs with their counts, newest first, a page at a time (keyset)."""
    runs = rm_import_runs.c
    where: list[sa.ColumnElement[bool]] = [runs.administration_id == administration_id]
    if cursor:
        moment, tie = decode_time_cursor(cursor)
        where.append(after(runs.started_at, runs.run_id, moment, tie, desc=True))
    rows = (
        await session.execute(
            sa.select(rm_import_runs)
            .where(*where)
            .order_by(runs.started_at.desc(), runs.run_id.desc())
            .limit(limit + 1)
        )
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return ImportRunPage(
        items=[
            ImportRunOut(
                run_id=row.run_id,
                source=row.source,
                status=row.status,
                error=row.error,
                counts=dict(row.counts),
                started_at=aware(row.started_at),
                finished_at=aware(row.finished_at),
                duration_ms=row.duration_ms,
            )
            for row in rows
        ],
        next_cursor=(
            encode_cursor([rows[-1].started_at.isoformat(), rows[-1].run_id])
            if more and rows
            else None
        ),
    )


# --- connections, as the importer keeps them -------------------------------------------------


def connection_out(stored: dict[str, Any]) -> ConnectionOut:
    """A connection as the importer answers it, without its secrets: a Moneybird token is
    only said to be there."""
    config: dict[str, Any] = stored.get("config") or {}
    kind = stored["source_kind"]
    moneybird = None
    if kind == "moneybird":
        moneybird = MoneybirdOut(
            administration_id=str(config.get("administration_id") or ""),
            states=config.get("states"),
            token_set=bool(config.get("token")),
        )
    return ConnectionOut(
        id=stored["id"],
        name=stored["name"],
        source_kind=kind,
        mapping=config.get("mapping") or None,
        moneybird=moneybird,
        path=str(config["path"]) if kind == "file" and config.get("path") else None,
        schedule=stored["schedule"],
        schedule_time=stored.get("schedule_time"),
        time_zone=stored.get("time_zone"),
        complete_list=stored.get("complete_list", False),
        ignore_invoice_numbers=stored.get("ignore_invoice_numbers", []),
        ignore_debtor_numbers=stored.get("ignore_debtor_numbers", []),
        ignore_payment_conditions=stored.get("ignore_payment_conditions", []),
        default_payment_term_days=stored.get("default_payment_term_days", 30),
        last_success_started_at=stored.get("last_success_started_at"),
    )


def importer_connection(body: ConnectionIn, stored: dict[str, Any] | None) -> dict[str, Any]:
    """The importer's form of a connection a person saves. What only the command line sets
    stays as stored (a file connection's path, a Moneybird connection's base URL), and a
    Moneybird token left out is kept: nobody sets the importer's server paths or addresses
    through the API. InvalidConnection when the connection cannot be saved so."""
    same_kind = stored is not None and stored["source_kind"] == body.source_kind
    config: dict[str, Any] = dict(stored["config"]) if same_kind and stored else {}
    if body.source_kind == "file" and not (same_kind and config.get("path")):
        raise InvalidConnection(
            "a file connection reads a path on the importer's server, which only the command "
            "line sets; choose upload (files uploaded or dropped) or moneybird"
        )
    if body.source_kind == "moneybird":
        if body.moneybird is None:
            raise InvalidConnection("a Moneybird connection needs its moneybird settings")
        token = body.moneybird.token or config.get("token")
        if not token:
            raise InvalidConnection("a Moneybird connection needs its API token (moneybird.token)")
        config.update(administration_id=body.moneybird.administration_id, token=token)
        if body.moneybird.states is not None:
            config["states"] = body.moneybird.states
        else:
            config.pop("states", None)
    if body.mapping:
        config["mapping"] = body.mapping
    else:
        config.pop("mapping", None)
    return {
        **body.model_dump(mode="json", exclude={"mapping", "moneybird"}),
        "config": config,
    }
