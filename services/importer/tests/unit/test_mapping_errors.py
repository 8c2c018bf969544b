"""Column mappings a person can act on: presets by name, plain sentences for a wrong field, an
override that changes its own column only, and a header that fits no preset told what each
needs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from settle_importer.adapters.connectors import file_connector, mapping_from_config
from settle_importer.adapters.sources import CsvMapping
from settle_importer.domain.model import SourceRecord

pytestmark = pytest.mark.unit

WriteCsv = Callable[..., Path]

DUTCH = (
    "Factuurnummer;Debiteurnummer;Naam;{kind};Factuurdatum;Vervaldatum;{amount};Openstaand\n"
    "2025-001;D1;Bakkerij Jansen B.V.;zakelijk;01-03-2025;31-03-2025;1.210,00;1.210,00\n"
)


def refusal(mapping: Any) -> str:
    with pytest.raises(ValueError) as caught:
        mapping_from_config({"mapping": mapping})
    return str(caught.value)


def test_a_preset_that_does_not_exist_is_refused_naming_the_presets() -> None:
    said = refusal({"preset": "dutsch"})

    assert said == (
        'there is no preset "dutsch" (did you mean "dutch"?); the presets are "dutch" and "english"'
    )


@pytest.mark.parametrize(
    ("mapping", "sentence"),
    [
        ({"amout": "Totaal"}, "there is no field 'amout' (did you mean 'amount'?)"),
        (
            {"preset": "dutch", "Bedrag": "Totaal"},
            "there is no field 'Bedrag'; fields are named in English and say "
            "which column holds them: 'Bedrag' is what the Dutch preset reads as amount, so "
            'write "amount": "Totaal"',
        ),
        ({"decimal_comma": "ja"}, 'decimal_comma must be true or false, not "ja"'),
        ({"amount": 3.5}, "amount must be a column name or a 0-based column position, not 3.5"),
        ({"delimiter": ";;"}, 'the delimiter must be one character, not ";;"'),
        (
            {"default_debtor_type": "bedrijf"},
            'default_debtor_type must be "business" or "consumer", not "bedrijf"',
        ),
        (
            {"fallback_encoding": "windows"},
            'fallback_encoding "windows" is not a text encoding Python knows (such as utf-8 or '
            "cp1252)",
        ),
        (
            "dutch",
            'the column mapping must be an object of fields, such as {"preset": "dutch"}, not '
            '"dutch"',
        ),
    ],
)
def test_a_wrong_field_gets_a_sentence(mapping: Any, sentence: str) -> None:
    said = refusal(mapping)

    assert said == sentence
    assert "pydantic" not in said and "http" not in said and "type=" not in said


def test_two_wrong_fields_get_a_sentence_each() -> None:
    said = refusal({"decimal_comma": "ja", "amount": [1.5]})

    assert said == (
        "amount must be a column name or a 0-based column position, not [1.5]; decimal_comma "
        'must be true or false, not "ja"'
    )


def test_an_override_of_one_field_leaves_every_other_column_as_the_preset_reads_it(
    write_csv: WriteCsv,
) -> None:
    export = write_csv(DUTCH.format(kind="Type", amount="Totaal"))

    mapping = mapping_from_config({"mapping": {"preset": "dutch", "amount": "Totaal"}})

    [record] = file_connector(export, mapping).records()

    assert isinstance(record, SourceRecord), record
    assert str(record.invoice.amount) == "1210.00"
    assert record.invoice.kind == "invoice"
    assert record.debtor is not None and record.debtor.type == "business"


def test_a_column_an_override_claims_is_no_longer_read_as_another_field(
    write_csv: WriteCsv,
) -> None:
    # This export calls its debtor-type column "Soort", which the Dutch preset reads as the
    # document kind: the override makes it the debtor type, and only that.
    export = write_csv(DUTCH.format(kind="Soort", amount="Bedrag"))
    mapping = mapping_from_config({"mapping": {"preset": "dutch", "debtor_type": "Soort"}})

    [record] = file_connector(export, mapping).records()

    assert isinstance(record, SourceRecord), record
    assert record.invoice.kind == "invoice"
    assert record.debtor is not None and record.debtor.type == "business"
    assert mapping is not None and mapping.kind is None


def test_an_override_of_the_address_lines_takes_its_columns_from_the_other_fields() -> None:
    mapping = CsvMapping.dutch(debtor_address_lines=("Straat", "Plaats"))

    assert mapping.debtor_city is None
    assert mapping.debtor_address_lines == ("Straat", "Plaats")
    assert CsvMapping.dutch(debtor_city="Adres 2").debtor_address_lines == ("Adres",)


def test_a_file_that_fits_no_preset_is_told_what_each_preset_needs(write_csv: WriteCsv) -> None:
    export = write_csv(
        "Factuurnummer;Debiteurnummer;Naam;Factuurdatum;Vervaldatum;Totaal\n"
        "2025-001;D1;Bakkerij;01-03-2025;31-03-2025;1.210,00\n",
        name="openstaand.csv",
    )

    with pytest.raises(Exception) as caught:
        file_connector(export, None)

    assert str(caught.value) == (
        "openstaand.csv lacks the columns of every column mapping preset: the English preset "
        "needs invoice_number, debtor_number, invoice_date, due_date and amount; the Dutch "
        "preset needs Factuurnummer, Debiteurnummer, Factuurdatum, Vervaldatum and Bedrag "
        "(this file lacks Bedrag). Its header has 'Factuurnummer', 'Debiteurnummer', 'Naam', "
        "'Factuurdatum', 'Vervaldatum', 'Totaal'. Name the columns so in the export, or "
        "configure the column mapping of the administration's connection, such as "
        '{"preset": "dutch", "amount": "<your column>"}'
    )


def test_a_header_in_another_delimiter_is_shown_split(write_csv: WriteCsv) -> None:
    export = write_csv("Nummer,Klant,Datum,Totaal\n1,2,3,4\n")

    with pytest.raises(Exception, match="Its header has 'Nummer', 'Klant', 'Datum', 'Totaal'"):
        file_connector(export, None)


def test_a_configured_mapping_that_does_not_fit_names_the_preset_that_does(
    write_csv: WriteCsv,
) -> None:
    export = write_csv(
        "invoice_number,debtor_number,invoice_date,due_date,amount\n"
        "2025-001,D1,2025-03-01,2025-03-31,121.00\n"
    )

    with pytest.raises(Exception) as caught:
        file_connector(export, CsvMapping.dutch())

    assert str(caught.value).endswith(
        '; the file fits the English preset: configure {"preset": "english"}'
    )


def test_a_run_of_a_stored_mapping_that_cannot_be_used_fails_with_the_sentence(
    write_csv: WriteCsv,
) -> None:
    from settle_importer.adapters.connectors import ConnectorSources
    from settle_importer.domain.errors import SourceError
    from settle_importer.domain.model import LineLimits

    export = write_csv(DUTCH.format(kind="Type", amount="Bedrag"))
    open_file = ConnectorSources().file_opener(
        export, {"mapping": {"preset": "dutsch"}}, name="export.csv", limits=LineLimits()
    )

    with pytest.raises(SourceError, match='no preset "dutsch"'):
        open_file()
