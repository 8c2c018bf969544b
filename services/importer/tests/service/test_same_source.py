"""The same source again: a file the snapshot was last read from in full is not read again, but
only while nothing else was imported since, and only for the same bytes read the same way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from settle_importer.adapters.sources import CsvMapping, CsvSource, UblSource
from settle_importer.application.importing import RunOptions, execute_run, start_run
from settle_importer.application.same_source import run_digest
from settle_importer.domain import IgnoreRules, SourceItem

from .conftest import ADM, DATA, THREE_INVOICES, Importer, dutch_csv

pytestmark = pytest.mark.service

WITH_BAD_ROWS = dutch_csv(
    "2025-010;D1;Jansen;zakelijk;;01-03-2025;31-03-2025;100,00;100,00;EUR",
    "2025-011;D1;Jansen;zakelijk;;01-03-2025;31-03-2025;honderd;100,00;EUR",
    "2025-012;D2;De Vries;particulier;;01-03-2025;31-03-2025;50,00;0,00;EUR",
    "2025-010;D1;Jansen;zakelijk;;01-03-2025;31-03-2025;100,00;100,00;EUR",
)
REPEATED = "is the same as that of run"


def new_events(before: list, after: list) -> list[str]:
    return [event_type.removeprefix("settle.importer.") for event_type, _ in after[len(before) :]]


async def test_the_same_file_again_repeats_its_run_with_every_record_unchanged(
    importer: Importer,
):
    first = await importer.import_file("openstaand.csv", WITH_BAD_ROWS)
    assert first["counts"]["new"] == 1 and first["counts"]["rejected"] == 2
    assert first["counts"]["closed_not_imported"] == 1
    assert not any(REPEATED in notice for notice in first["notices"])
    events = await importer.outbox()

    again = await importer.import_file("openstaand.csv", WITH_BAD_ROWS)

    assert again["status"] == "succeeded"
    counts = again["counts"]
    assert counts["records"] == 4 and counts["unchanged"] == 1 and counts["new"] == 0
    assert counts["rejected"] == 2 and counts["closed_not_imported"] == 1
    assert again["progress"] == {"done": 4, "total": 4}
    # The rejected rows are listed again, with their lines and reasons.
    assert again["rejected"] == first["rejected"]
    assert [r["position"] for r in again["rejected"]] == ["line 3", "line 5"]
    [notice] = [n for n in again["notices"] if REPEATED in n]
    assert first["id"] in notice
    assert new_events(events, await importer.outbox()) == ["run.finished"]

    # Repeated again, it names the run before it once: notices do not pile up day after day.
    third = await importer.import_file("openstaand.csv", WITH_BAD_ROWS)
    assert [n for n in third["notices"] if REPEATED in n] == [
        notice.replace(first["id"], again["id"])
    ]
    assert third["rejected"] == first["rejected"] and third["counts"] == counts


async def test_a_run_in_between_makes_the_file_read_again(importer: Importer):
    await importer.import_file("openstaand.csv", THREE_INVOICES)
    partly_paid = THREE_INVOICES.replace(b"1.210,00;1.210,00", b"1.210,00;210,00")
    paid_run = await importer.import_file("betaald.csv", partly_paid)
    assert paid_run["counts"]["changed"] == 1

    # The first file again: the snapshot is no longer what it was read into, so it is read,
    # and the open amount bookkeeping now shows again is applied.
    back = await importer.import_file("openstaand.csv", THREE_INVOICES)
    assert not any(REPEATED in notice for notice in back["notices"])
    assert back["counts"]["changed"] == 1 and back["counts"]["unchanged"] == 2


async def test_a_failed_run_in_between_makes_the_file_read_again(importer: Importer):
    await importer.import_file("openstaand.csv", THREE_INVOICES)
    failed = await importer.import_file("leeg.csv", b"\n")
    assert failed["status"] == "failed"

    again = await importer.import_file("openstaand.csv", THREE_INVOICES)
    assert again["counts"]["unchanged"] == 3
    assert not any(REPEATED in notice for notice in again["notices"])
    # Read in full, it is known again: the next delivery of it is a repeat.
    third = await importer.import_file("openstaand.csv", THREE_INVOICES)
    assert any(REPEATED in notice for notice in third["notices"])


async def test_a_run_that_did_not_take_the_source_away_makes_the_file_read_again(
    importer: Importer,
):
    # A replica still on an older release, during an upgrade, imports without taking the
    # snapshot source away: a run that finished later than the remembered one tells.
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from settle_importer.adapters.tables import snapshot_source

    clock = importer.now(datetime(2025, 4, 1, 8, 0, tzinfo=UTC))
    await importer.import_file("openstaand.csv", THREE_INVOICES)
    async with importer.harness.runtime.sessions() as session:
        remembered = (await session.execute(sa.select(snapshot_source))).one()
    clock.advance(timedelta(minutes=1))
    partly_paid = THREE_INVOICES.replace(b"1.210,00;1.210,00", b"1.210,00;210,00")
    assert (await importer.import_file("betaald.csv", partly_paid))["counts"]["changed"] == 1
    async with importer.harness.runtime.sessions() as session, session.begin():
        await session.execute(sa.delete(snapshot_source))
        await session.execute(sa.insert(snapshot_source).values(**remembered._mapping))
    clock.advance(timedelta(minutes=1))

    back = await importer.import_file("openstaand.csv", THREE_INVOICES)
    assert not any(REPEATED in notice for notice in back["notices"])
    assert back["counts"]["changed"] == 1


async def test_a_progress_report_that_fails_fails_the_repeat_and_keeps_nothing(
    importer: Importer, tmp_path: Path
):
    path = tmp_path / "openstaand.csv"
    path.write_bytes(THREE_INVOICES)

    async def run(progress=None):
        run_id = await start_run(
            importer.ctx, ADM, source="csv", source_name=path.name, trigger="command_line"
        )
        source = lambda: CsvSource(path, CsvMapping.dutch())  # noqa: E731
        return await execute_run(importer.ctx, ADM, run_id, source, RunOptions(), progress)

    await run()

    def broken_bar(done: int, total: int | None) -> None:
        raise BrokenPipeError("the terminal went away")

    failed = await run(broken_bar)
    assert failed.status == "failed"
    assert not any(REPEATED in notice for notice in failed.notices)
    read = await run()  # the failed run took the snapshot source away: read in full
    assert read.status == "succeeded" and read.counts["unchanged"] == 3
    assert not any(REPEATED in notice for notice in read.notices)


def test_the_digest_covers_bytes_name_reading_and_options(tmp_path: Path):
    def digest(content: bytes, name: str = "a.csv", mapping: CsvMapping | None = None, **options):
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.csv"
        path.write_bytes(content)
        source = CsvSource(path, mapping or CsvMapping.dutch(), name=name)
        return run_digest(
            source, options.get("complete", False), options.get("ignore", IgnoreRules())
        )

    same = digest(THREE_INVOICES)
    assert digest(THREE_INVOICES) == same
    assert digest(THREE_INVOICES.replace(b"60,50;60,50", b"60,50;60,00")) != same
    # A CSV's records are told by line: a daily export named by its date is the same source.
    assert digest(THREE_INVOICES, name="2025-04-02.csv") == same
    assert digest(THREE_INVOICES.replace(b"\n", b"\r\n")) != same  # other bytes, read again
    assert digest(THREE_INVOICES, mapping=CsvMapping.dutch(default_currency="USD")) != same
    assert digest(THREE_INVOICES, complete=True) != same
    ignoring = IgnoreRules.parse(invoice_numbers=["2025-001", "2025-100 - 2025-199"])
    assert digest(THREE_INVOICES, ignore=ignoring) != same
    # The same rules written in another order are the same rules.
    reordered = IgnoreRules.parse(invoice_numbers=["2025-100 - 2025-199", "2025-001"])
    assert digest(THREE_INVOICES, ignore=ignoring) == digest(THREE_INVOICES, ignore=reordered)


def test_a_csv_replaced_after_it_was_opened_is_not_taken_for_the_new_file(tmp_path: Path):
    # A CSV chooses its encoding, delimiter and columns when opened: read with those choices,
    # bytes that came after are not what a fresh read of them gives, so neither is the digest.
    path = tmp_path / "openstaand.csv"
    path.write_bytes(THREE_INVOICES)
    opened = CsvSource(path, CsvMapping.dutch(delimiter=None))
    path.write_bytes(THREE_INVOICES.replace(b";", b","))
    fresh = CsvSource(path, CsvMapping.dutch(delimiter=None))
    assert opened.content_digest() != fresh.content_digest()


def test_a_ubl_file_that_cannot_be_read_has_no_digest(tmp_path: Path):
    # The run then reads the source, which rejects that file with a reason.
    source = UblSource([tmp_path / "gone.xml"])
    assert source.content_digest() is None
    [rejected] = list(source.records())
    assert rejected.position == "gone.xml"


def test_ubl_files_are_told_by_name_too():
    # A UBL record's position is its file's name, so the names are part of the source.
    example = DATA / "base-example.xml"
    options = (False, IgnoreRules())
    same = run_digest(UblSource([example], names=["a.xml"]), *options)
    assert run_digest(UblSource([example], names=["a.xml"]), *options) == same
    assert run_digest(UblSource([example], names=["b.xml"]), *options) != same


class ReplacedWhileRead:
    """A file source whose file is replaced after its digest was taken and before it is read."""

    def __init__(self, path: Path, replacement: bytes) -> None:
        self.path = path
        self.replacement = replacement
        self.csv = CsvSource(path, CsvMapping.dutch())

    @property
    def total(self) -> int:
        return self.csv.total

    def content_digest(self) -> str:
        return self.csv.content_digest()

    def records(self) -> Iterator[SourceItem]:
        self.path.write_bytes(self.replacement)
        yield from CsvSource(self.path, CsvMapping.dutch()).records()


async def test_a_file_replaced_while_read_is_not_taken_for_the_one_read(
    importer: Importer, tmp_path: Path
):
    path = tmp_path / "openstaand.csv"
    partly_paid = THREE_INVOICES.replace(b"1.210,00;1.210,00", b"1.210,00;210,00")
    for content, source in (
        (partly_paid, lambda: CsvSource(path, CsvMapping.dutch())),
        (THREE_INVOICES, lambda: ReplacedWhileRead(path, partly_paid)),  # reads partly_paid
        (THREE_INVOICES, lambda: CsvSource(path, CsvMapping.dutch())),
    ):
        path.write_bytes(content)
        run_id = await start_run(
            importer.ctx, ADM, source="csv", source_name=path.name, trigger="command_line"
        )
        outcome = await execute_run(importer.ctx, ADM, run_id, source, RunOptions())
        assert outcome.status == "succeeded"
    # The last run's file has the bytes the second run's digest was taken from, but the
    # snapshot holds what that run read: it is read and the open amount changes back.
    assert outcome.counts["changed"] == 1
