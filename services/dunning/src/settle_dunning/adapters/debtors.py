"""The debtors as bookkeeping describes them, with their pause and last reminder, and their
credit notes (an unmatched one holds back the move to collection)."""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from settle_dunning.adapters.codec import address_to_json, debtor_from_row
from settle_dunning.adapters.sql import BULK_MIN, SqlRepository
from settle_dunning.adapters.tables import credit_notes, debtors
from settle_dunning.domain import TYPE_TO_KIND, CreditNote, Debtor, DebtorPause, DebtorReminded
from settle_shared.db import among

_SET_LAST_REMINDED = (
    "UPDATE debtors AS d SET last_reminded_on = v.day "
    "FROM unnest($2::text[], $3::date[]) AS v(id, day) "
    "WHERE d.administration_id = $1 AND d.id = v.id"
)


class DebtorRepository(SqlRepository):
    """The `debtors` and `credit_notes` tables."""

    async def get(self, administration_id: str, debtor_id: str) -> Debtor | None:
        """One debtor, or None."""
        found = await self.many(administration_id, [debtor_id])
        return found.get(debtor_id)

    async def many(self, administration_id: str, ids: Iterable[str]) -> dict[str, Debtor]:
        """The debtors with these ids, with whether each has an unmatched credit note."""
        wanted = sorted(set(ids))
        rows: list[Any] = []
        with_credit: set[str] = set()
        for chunk in self.chunks(wanted):
            rows += (
                await self.session.execute(
                    sa.select(debtors).where(
                        debtors.c.administration_id == administration_id,
                        among(debtors.c.id, chunk, postgres=self.postgres),
                    )
                )
            ).all()
            with_credit.update(
                await self.session.scalars(
                    sa.select(credit_notes.c.debtor_id)
                    .where(
                        credit_notes.c.administration_id == administration_id,
                        among(credit_notes.c.debtor_id, chunk, postgres=self.postgres),
                        credit_notes.c.open_amount != 0,
                    )
                    .distinct()
                )
            )
        return {
            row.id: debtor_from_row(row, has_unmatched_credit_note=row.id in with_credit)
            for row in rows
        }

    async def version(self, administration_id: str, debtor_id: str) -> int | None:
        """The version of the importer's fact the debtor was stored from (0 for a debtor known
        only from an invoice so far), or None when the debtor is unknown."""
        result: int | None = await self.session.scalar(
            sa.select(debtors.c.version).where(
                debtors.c.administration_id == administration_id, debtors.c.id == debtor_id
            )
        )
        return result

    async def versions(self, administration_id: str, ids: Iterable[str]) -> dict[str, int]:
        """The stored version of each of these debtors that is known (see `version`)."""
        found: dict[str, int] = {}
        for chunk in self.chunks(sorted(set(ids))):
            rows = await self.session.execute(
                sa.select(debtors.c.id, debtors.c.version).where(
                    debtors.c.administration_id == administration_id,
                    among(debtors.c.id, chunk, postgres=self.postgres),
                )
            )
            found.update({row.id: row.version for row in rows})
        return found

    async def save_many(
        self,
        administration_id: str,
        saved: Sequence[tuple[Debtor, int]],
        *,
        known: Container[str] = (),
    ) -> None:
        """Insert or replace debtors' details, each with the version of the importer's fact
        it came from (0: known only from an invoice so far). Pause, last reminder and a
        language a user chose are dunning's own and kept.

        Only the debtors in `known` (stored when the caller read them) are replaced; the others
        are inserted, so one that another transaction stored meanwhile fails the statement
        and the consumer applies its facts again, now seeing it, rather than overwriting it."""
        rows = [
            {
                "administration_id": administration_id,
                "id": debtor.id,
                "number": debtor.number,
                "name": debtor.name,
                "kind": TYPE_TO_KIND[debtor.debtor_type],
                "emails": list(debtor.emails),
                "phone": debtor.phone,
                "language": debtor.language,
                "country": debtor.country,
                "address": address_to_json(debtor.address),
                "pause": DebtorPause.ACTIVE.value,
                "last_reminded_on": None,
                "version": version,
                "updated_at": self.now,
            }
            for debtor, version in saved
        ]
        new = [row for row in rows if row["id"] not in known]
        if new:
            await self.session.execute(sa.insert(debtors), new)
        replaced_rows = [row for row in rows if row["id"] in known]
        if not replaced_rows:
            return
        insert = postgresql.insert if self.postgres else sqlite.insert
        statement = insert(debtors)
        details = ("number", "name", "kind", "emails", "phone", "language", "country")
        replaced = [*details, "address", "version", "updated_at"]
        statement = statement.on_conflict_do_update(
            index_elements=[debtors.c.administration_id, debtors.c.id],
            set_={name: statement.excluded[name] for name in replaced},
        )
        await self.session.execute(statement, replaced_rows)

    async def set_chosen_language(
        self, administration_id: str, debtor_id: str, language: str | None
    ) -> None:
        """Store the language a user chose for the debtor (None: bookkeeping's again)."""
        await self.session.execute(
            sa.update(debtors)
            .where(debtors.c.administration_id == administration_id, debtors.c.id == debtor_id)
            .values(chosen_language=language)
        )

    async def set_pause(self, administration_id: str, debtor_id: str, pause: DebtorPause) -> None:
        """Store the pause state of a debtor."""
        await self.session.execute(
            sa.update(debtors)
            .where(debtors.c.administration_id == administration_id, debtors.c.id == debtor_id)
            .values(pause=pause.value)
        )

    async def set_last_reminded(
        self, administration_id: str, reminded: Sequence[DebtorReminded]
    ) -> None:
        """Store the day each debtor was last reminded (for the interval between reminders)."""
        if not reminded:
            return
        if self.postgres and len(reminded) >= BULK_MIN:
            driver = await self.driver()
            await driver.execute(
                _SET_LAST_REMINDED,
                administration_id,
                [r.debtor_id for r in reminded],
                [r.on for r in reminded],
            )
            return
        await self.session.execute(
            sa.update(debtors)
            .where(
                debtors.c.administration_id == administration_id,
                debtors.c.id == sa.bindparam("b_id"),
            )
            .values(last_reminded_on=sa.bindparam("b_on")),
            [{"b_id": r.debtor_id, "b_on": r.on} for r in reminded],
        )

    async def credit_note(self, administration_id: str, credit_note_id: str) -> CreditNote | None:
        """The stored credit note, or None when unknown."""
        row = (
            await self.session.execute(
                sa.select(credit_notes).where(
                    credit_notes.c.administration_id == administration_id,
                    credit_notes.c.id == credit_note_id,
                )
            )
        ).one_or_none()
        return None if row is None else _credit_note(row)

    async def open_credit_notes(
        self, administration_id: str, debtor_ids: Iterable[str]
    ) -> dict[str, list[CreditNote]]:
        """The open (not fully matched) credit notes of these debtors, by debtor id."""
        found: dict[str, list[CreditNote]] = {}
        for chunk in self.chunks(sorted(set(debtor_ids))):
            rows = await self.session.execute(
                sa.select(credit_notes)
                .where(
                    credit_notes.c.administration_id == administration_id,
                    among(credit_notes.c.debtor_id, chunk, postgres=self.postgres),
                    credit_notes.c.open_amount != 0,
                )
                .order_by(credit_notes.c.id)
            )
            for row in rows:
                found.setdefault(row.debtor_id, []).append(_credit_note(row))
        return found

    async def save_credit_note(self, administration_id: str, note: CreditNote) -> None:
        """Insert or replace a credit note."""
        await self.session.execute(
            sa.delete(credit_notes).where(
                credit_notes.c.administration_id == administration_id,
                credit_notes.c.id == note.id,
            )
        )
        await self.session.execute(
            sa.insert(credit_notes).values(
                administration_id=administration_id,
                id=note.id,
                debtor_id=note.debtor_id,
                number=note.number,
                amount=note.amount,
                open_amount=note.open_amount,
                currency=note.currency,
                version=note.version,
                invoice_date=note.invoice_date,
                corrects_invoice_id=note.corrects_invoice_id,
                corrects_invoice_number=note.corrects_invoice_number,
            )
        )


def _credit_note(row: Any) -> CreditNote:
    return CreditNote(
        id=row.id,
        debtor_id=row.debtor_id,
        number=row.number,
        amount=row.amount,
        open_amount=row.open_amount,
        currency=row.currency,
        version=row.version,
        invoice_date=row.invoice_date,
        corrects_invoice_id=row.corrects_invoice_id,
        corrects_invoice_number=row.corrects_invoice_number,
    )
