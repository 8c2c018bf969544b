import uuid

import pytest

from settle_importer.domain.snapshot import _NAMESPACE, debtor_id, document_id

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("number", ["F2024-001", "", "factuur €/12", "a\x1fb", "9" * 100])
def test_ids_are_the_uuid5_consumers_already_know(number: str) -> None:
    # The ids are in every event and every consumer's database: they must never change.
    assert document_id("adm-1", "invoice", number) == str(
        uuid.uuid5(_NAMESPACE, f"adm-1\x1finvoice\x1f{number}")
    )
    assert debtor_id("adm-1", number) == str(uuid.uuid5(_NAMESPACE, f"adm-1\x1fdebtor\x1f{number}"))


def test_one_number_gets_different_ids_per_kind_and_administration() -> None:
    ids = {
        document_id("adm-1", "invoice", "7"),
        document_id("adm-1", "credit_note", "7"),
        document_id("adm-2", "invoice", "7"),
        debtor_id("adm-1", "7"),
    }
    assert len(ids) == 4
