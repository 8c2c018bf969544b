"""Column mapping for tabular exports (CSV and XLSX), and turning one row into a record.

Reference (every field is optional to set; the defaults are ``CsvMapping()``):

=========================  ====================  ========================================
field                      default               meaning
=========================  ====================  ========================================
invoice_number             ``invoice_number``    required column
debtor_number              ``debtor_number``     required column
invoice_date               ``invoice_date``      required column
due_date                   ``due_date``          required column
amount                     ``amount``            required column
open_amount                ``open_amount``       when absent the whole amount is open
currency                   ``currency``          when absent or empty: ``default_currency``
payment_condition          ``payment_condition``
kind                       ``kind``              invoice/factuur or credit_note/creditnota;
                                                 when absent or empty the sign decides
pdf_url                    ``pdf_url``
debtor_name                ``debtor_name``       when absent, rows carry no debtor details
debtor_type                ``debtor_type``       business/b2b/zakelijk or consumer/b2c/
                                                 particulier; empty: ``default_debtor_type``
debtor_emails              ``debtor_email``      several separated by ``;`` ``,`` or spaces
debtor_phone               ``debtor_phone``
debtor_address_lines       ``debtor_address``,
                           ``debtor_address_2``
debtor_postal_code         ``debtor_postal_code``
debtor_city                ``debtor_city``
debtor_country             ``debtor_country``    ISO 3166 two-letter code
debtor_language            ``debtor_language``   ISO 639-1 code
delimiter                  ``None``              ``None``: detected from the first line
decimal_comma              ``False``             ``True`` for ``1234,56``
thousands_separator        ``None``              e.g. ``.`` for ``1.234,56``
date_format                ``%Y-%m-%d``          ``strptime`` format, e.g. ``%d-%m-%Y``
encoding                   ``utf-8``             a byte order mark overrides it
fallback_encoding          ``None``              used when the file is not valid ``encoding``
has_header                 ``True``              ``False``: columns are 0-based positions
sheet                      ``None``              XLSX only: sheet name, else the first
=========================  ====================  ========================================

A column is named by its header (matched ignoring case and surrounding spaces) or, without a
header, by its 0-based position. Required columns missing from the header fail the whole file;
optional ones are simply not read.

A mapping starts from a preset (``PRESETS``: ``english``, the defaults, and ``dutch``) with
overrides; what a column means is decided per column (``CsvMapping.preset``). A connection's
mapping is read by ``mapping_from_settings``, and every way it can be wrong is told in plain
sentences (``InvalidMapping``; ``validation_sentences`` is the one place a validation error
becomes one).
"""

from __future__ import annotations

import codecs
import difflib
import json
import operator
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from settle_importer.adapters.sources.base import MissingColumns
from settle_importer.domain.model import (
    DebtorType,
    ImportedDebtor,
    InvoiceKind,
    RejectedRecord,
    SourceRecord,
)
from settle_importer.domain.validation import (
    RecordRejected,
    debtor_from_source,
    invoice_from_source,
)

ColumnRef = str | int

_KINDS: dict[str, InvoiceKind] = {
    "invoice": "invoice",
    "factuur": "invoice",
    "verkoopfactuur": "invoice",
    "debit": "invoice",
    "credit_note": "credit_note",
    "credit note": "credit_note",
    "creditnote": "credit_note",
    "credit": "credit_note",
    "creditnota": "credit_note",
    "creditfactuur": "credit_note",
}
_DEBTOR_TYPES: dict[str, DebtorType] = {
    "business": "business",
    "b2b": "business",
    "company": "business",
    "zakelijk": "business",
    "bedrijf": "business",
    "consumer": "consumer",
    "b2c": "consumer",
    "private": "consumer",
    "particulier": "consumer",
}
_EMAIL_SEPARATORS = re.compile(r"[;,\s]+")
# Debtors whose details were read, by number, to read repeated details once: as many as an
# administration has debtors with open invoices, and no more, so memory stays flat whatever
# the size of the file (the oldest entry makes room).
_DEBTOR_CACHE_LIMIT = 25_000


class CsvMapping(BaseModel):
    """How to read a CSV or XLSX export: which column holds what, and in which format."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    invoice_number: ColumnRef = "invoice_number"
    debtor_number: ColumnRef = "debtor_number"
    invoice_date: ColumnRef = "invoice_date"
    due_date: ColumnRef = "due_date"
    amount: ColumnRef = "amount"
    open_amount: ColumnRef | None = "open_amount"
    currency: ColumnRef | None = "currency"
    payment_condition: ColumnRef | None = "payment_condition"
    kind: ColumnRef | None = "kind"
    pdf_url: ColumnRef | None = "pdf_url"
    debtor_name: ColumnRef | None = "debtor_name"
    debtor_type: ColumnRef | None = "debtor_type"
    debtor_emails: ColumnRef | None = "debtor_email"
    debtor_phone: ColumnRef | None = "debtor_phone"
    debtor_address_lines: tuple[ColumnRef, ...] = ("debtor_address", "debtor_address_2")
    debtor_postal_code: ColumnRef | None = "debtor_postal_code"
    debtor_city: ColumnRef | None = "debtor_city"
    debtor_country: ColumnRef | None = "debtor_country"
    debtor_language: ColumnRef | None = "debtor_language"

    delimiter: str | None = None
    decimal_comma: bool = False
    thousands_separator: str | None = None
    date_format: str = "%Y-%m-%d"
    encoding: str = "utf-8"
    fallback_encoding: str | None = None
    has_header: bool = True
    sheet: str | None = None
    default_currency: str = "EUR"
    default_debtor_type: DebtorType = "business"

    @classmethod
    def dutch(cls, **overrides: Any) -> CsvMapping:
        """The preset for Dutch exports: Dutch headers, ``;``, ``1.234,56`` and ``dd-mm-yyyy``."""
        return cls.preset("dutch", **overrides)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> CsvMapping:
        """A preset (``PRESETS``) with some fields set otherwise.

        What a column means is decided per column: an override changes its own field's column
        only, and an optional field of the preset that read a column an override now claims no
        longer reads it (``{"debtor_type": "Soort"}`` on the Dutch preset reads ``Soort`` as the
        debtor type, not also as the document kind). Required fields keep their columns.
        Raises ``InvalidMapping`` for an unknown preset, ``ValidationError`` for a wrong field.
        """
        if name not in PRESETS:
            raise InvalidMapping(unknown_preset(name))
        values: dict[str, Any] = dict(PRESETS[name])
        claimed = {
            _column_key(ref)
            for field, value in overrides.items()
            if field in _COLUMN_FIELDS
            for ref in _refs(value)
        }
        for field in _COLUMN_FIELDS:
            if field in overrides or field in _REQUIRED:
                continue
            own = values.get(field, cls.model_fields[field].default)
            kept = tuple(ref for ref in _refs(own) if _column_key(ref) not in claimed)
            if field == "debtor_address_lines":
                values[field] = kept
            elif not kept:
                values[field] = None
        return cls(**{**values, **overrides})

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 1:
            raise ValueError(f"the delimiter must be one character, not {_shown(value)}")
        return value

    @field_validator("encoding", "fallback_encoding")
    @classmethod
    def _known_encoding(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(
                    f"{info.field_name} {_shown(value)} is not a text encoding Python knows "
                    "(such as utf-8 or cp1252)"
                ) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CsvMapping:
        if (self.thousands_separator or None) == ("," if self.decimal_comma else "."):
            raise ValueError("the thousands separator cannot be the decimal separator")
        if not self.has_header:
            named = [name for name, ref in self.columns().items() if isinstance(ref, str)]
            if named:
                raise ValueError(
                    "without a header (has_header false) columns are 0-based positions, but "
                    "these fields name one: " + ", ".join(named) + "; give each a position "
                    "or null"
                )
        return self

    def columns(self) -> dict[str, ColumnRef]:
        """Every mapped field with its column, address lines as ``debtor_address_lines[i]``."""
        refs: dict[str, ColumnRef] = {}
        for name in _SINGLE_COLUMNS:
            ref = getattr(self, name)
            if ref is not None:
                refs[name] = ref
        for i, ref in enumerate(self.debtor_address_lines):
            refs[f"debtor_address_lines[{i}]"] = ref
        return refs


_REQUIRED = ("invoice_number", "debtor_number", "invoice_date", "due_date", "amount")
_SINGLE_COLUMNS = (
    *_REQUIRED,
    "open_amount",
    "currency",
    "payment_condition",
    "kind",
    "pdf_url",
    "debtor_name",
    "debtor_type",
    "debtor_emails",
    "debtor_phone",
    "debtor_postal_code",
    "debtor_city",
    "debtor_country",
    "debtor_language",
)
_DEBTOR_DETAILS = (
    "debtor_type",
    "debtor_emails",
    "debtor_phone",
    "debtor_postal_code",
    "debtor_city",
    "debtor_country",
    "debtor_language",
)

# Every field that names a column (or, for address lines, columns).
_COLUMN_FIELDS = (*_SINGLE_COLUMNS, "debtor_address_lines")

# The presets by name, as the fields they set; "english" is the defaults. The first preset whose
# required columns a file's header has reads a file delivered without a configured mapping.
PRESETS: dict[str, dict[str, Any]] = {
    "english": {},
    "dutch": {
        "invoice_number": "Factuurnummer",
        "debtor_number": "Debiteurnummer",
        "invoice_date": "Factuurdatum",
        "due_date": "Vervaldatum",
        "amount": "Bedrag",
        "open_amount": "Openstaand",
        "currency": "Valuta",
        "payment_condition": "Betalingsconditie",
        "kind": "Soort",
        "pdf_url": "PDF",
        "debtor_name": "Naam",
        "debtor_type": "Type",
        "debtor_emails": "E-mail",
        "debtor_phone": "Telefoon",
        "debtor_address_lines": ("Adres", "Adres 2"),
        "debtor_postal_code": "Postcode",
        "debtor_city": "Plaats",
        "debtor_country": "Land",
        "debtor_language": "Taal",
        "delimiter": ";",
        "decimal_comma": True,
        "thousands_separator": ".",
        "date_format": "%d-%m-%Y",
    },
}


# What each field of a mapping holds, for a person choosing its column.
FIELD_MEANINGS: dict[str, str] = {
    "invoice_number": "the invoice (or credit note) number",
    "debtor_number": "the debtor's number in bookkeeping",
    "invoice_date": "the date of the invoice",
    "due_date": "the date the invoice is due",
    "amount": "the invoice's amount",
    "open_amount": "what is still to be paid (absent: the whole amount)",
    "currency": "the currency code, such as EUR (absent: the default currency)",
    "payment_condition": "the payment condition (flows and ignore lists select by it)",
    "kind": "invoice or credit note (absent: the sign of the amount decides)",
    "pdf_url": "a link to the invoice's PDF",
    "debtor_name": "the debtor's name (absent: rows carry no debtor details)",
    "debtor_type": "business or consumer",
    "debtor_emails": "the debtor's email addresses",
    "debtor_phone": "the debtor's phone number",
    "debtor_address_lines": "the debtor's address (one or two columns)",
    "debtor_postal_code": "the debtor's postal code",
    "debtor_city": "the debtor's city",
    "debtor_country": "the debtor's country, a two-letter code",
    "debtor_language": "the debtor's language, a two-letter code",
}


def mapping_catalogue() -> dict[str, Any]:
    """The fields a mapping names (required first) and each preset as the columns and formats
    it reads, for a person choosing a preset and columns."""
    defaults = CsvMapping()
    presets = []
    for name in PRESETS:
        mapping = CsvMapping.preset(name)
        presets.append(
            {
                "name": name,
                "title": preset_title(name),
                "columns": {
                    field: list(ref) if isinstance(ref, tuple) else ref
                    for field in _COLUMN_FIELDS
                    if (ref := getattr(mapping, field)) not in (None, ())
                },
                "delimiter": mapping.delimiter,
                "decimal_comma": mapping.decimal_comma,
                "thousands_separator": mapping.thousands_separator,
                "date_format": mapping.date_format,
            }
        )
    return {
        "fields": [
            {"name": field, "required": field in _REQUIRED, "meaning": FIELD_MEANINGS[field]}
            for field in _COLUMN_FIELDS
        ],
        "formats": {
            "delimiter": defaults.delimiter,
            "decimal_comma": defaults.decimal_comma,
            "thousands_separator": defaults.thousands_separator,
            "date_format": defaults.date_format,
            "encoding": defaults.encoding,
            "default_currency": defaults.default_currency,
            "default_debtor_type": defaults.default_debtor_type,
        },
        "presets": presets,
    }


class InvalidMapping(ValueError):
    """A column mapping that cannot be used; the message is a sentence a person can act on."""


def preset_title(name: str) -> str:
    """``dutch`` -> ``the Dutch preset``, for messages users read."""
    return f"the {name.capitalize()} preset"


def unknown_preset(name: object) -> str:
    """Why ``name`` is refused as a preset, naming the presets there are."""
    known = sorted(PRESETS)
    shown = ", ".join(_shown(preset) for preset in known[:-1]) + f" and {_shown(known[-1])}"
    guess = difflib.get_close_matches(str(name).lower(), known, n=1)
    hint = f" (did you mean {_shown(guess[0])}?)" if guess else ""
    return f"there is no preset {_shown(name)}{hint}; the presets are {shown}"


def required_columns(mapping: CsvMapping) -> dict[str, ColumnRef]:
    """The required fields of ``mapping`` with their columns, which a header must have."""
    return {field: getattr(mapping, field) for field in _REQUIRED}


def lacking_columns(mapping: CsvMapping, header: Sequence[str]) -> dict[str, ColumnRef]:
    """The required fields of ``mapping`` whose column ``header`` lacks."""
    titles = {_column_key(title) for title in header}
    return {
        field: ref
        for field, ref in required_columns(mapping).items()
        if isinstance(ref, str) and _column_key(ref) not in titles
    }


def mapping_from_settings(settings: object) -> CsvMapping:
    """The mapping a connection's ``config["mapping"]`` describes: ``{"preset": "dutch",
    ...overrides}``, or fields over the English defaults. Raises ``InvalidMapping`` with plain
    sentences (an unknown preset names those there are)."""
    if not isinstance(settings, dict):
        raise InvalidMapping(
            'the column mapping must be an object of fields, such as {"preset": "dutch"}, '
            f"not {_shown(settings)}"
        )
    values = dict(settings)
    name = values.pop("preset", None)
    if name is None:
        name = "english"
    if not isinstance(name, str) or name not in PRESETS:
        raise InvalidMapping(unknown_preset(name))
    try:
        return CsvMapping.preset(name, **values)
    except ValidationError as error:
        raise InvalidMapping(validation_sentences(error)) from None


# What each kind of field holds, for "<field> must be <this>".
_EXPECTED: dict[str, str] = {
    **dict.fromkeys(_SINGLE_COLUMNS, "a column name or a 0-based column position"),
    "debtor_address_lines": "a list of column names or 0-based column positions",
    **dict.fromkeys(("decimal_comma", "has_header"), "true or false"),
    "delimiter": "one character",
    "thousands_separator": "one character, or null",
    "date_format": 'a date format such as "%d-%m-%Y"',
    "encoding": 'a text encoding such as "utf-8" or "cp1252"',
    "fallback_encoding": 'a text encoding such as "cp1252", or null',
    "sheet": "the name of a sheet, or null",
    "default_currency": 'a currency code such as "EUR"',
    "default_debtor_type": '"business" or "consumer"',
}


def validation_sentences(error: ValidationError) -> str:
    """The one place a mapping's validation errors become plain sentences, one per field: what
    the field must hold and what it was given, without the validation library's codes and
    links."""
    sentences: dict[str, str] = {}
    for detail in error.errors(include_url=False):
        loc = detail["loc"]
        field = str(loc[0]) if loc else ""
        if field in sentences:
            continue  # one sentence per field, though a union reports each of its branches
        if detail["type"] == "extra_forbidden":
            sentences[field] = _unknown_field(field, detail["input"])
        elif detail["type"] in ("value_error", "assertion_error"):
            sentences[field] = str(detail.get("ctx", {}).get("error", detail["msg"]))
        elif field in _EXPECTED:
            given = _shown(detail["input"])
            sentences[field] = f"{field} must be {_EXPECTED[field]}, not {given}"
        else:
            sentences[field] = f"{field or 'the mapping'}: {detail['msg'].lower()}"
    return "; ".join(sentences.values())


def _unknown_field(field: str, value: object) -> str:
    sentence = f"there is no field '{field}'"
    title = field.strip().lower()
    for name, preset in PRESETS.items():
        for known, column in preset.items():
            if any(_column_key(ref) == title for ref in _refs(column)):
                # A column's title given as a field: fields are named in English, and their
                # value is the column.
                column = value if isinstance(value, str | int) else "<your column>"
                return (
                    f"{sentence}; fields are named in English and say which column holds "
                    f"them: '{field}' is what {preset_title(name)} reads as {known}, so write "
                    f'"{known}": {_shown(column)}'
                )
    guess = difflib.get_close_matches(field, list(CsvMapping.model_fields), n=1)
    if guess:
        return f"{sentence} (did you mean '{guess[0]}'?)"
    return f"{sentence}; its fields are {', '.join(CsvMapping.model_fields)}"


def _refs(value: object) -> tuple[ColumnRef, ...]:
    """The columns a field's value names (none for a value that names no column)."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(ref for ref in value if isinstance(ref, str | int))
    return ()


def _column_key(ref: ColumnRef) -> ColumnRef:
    # Headers are matched ignoring case and surrounding spaces; so are columns here.
    return ref.strip().lower() if isinstance(ref, str) else ref


def _shown(value: object) -> str:
    """A value as the person wrote it in the connection's JSON."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


TextOf = Callable[[Any], str]
AmountOf = Callable[[Any, str], Decimal]
DateOf = Callable[[Any, str], date]


class RowReader:
    """Turns rows of cells into records, following a mapping resolved against a header.

    ``text_of``, ``amount_of`` and ``date_of`` convert one cell; CSV passes parsers of text, XLSX
    ones that also accept numbers and dates typed in the sheet.
    """

    def __init__(
        self,
        mapping: CsvMapping,
        header: Sequence[str] | None,
        *,
        source_name: str,
        text_of: TextOf,
        amount_of: AmountOf,
        date_of: DateOf,
        position: Literal["line", "row"] = "line",
    ) -> None:
        self.mapping = mapping
        self._text = text_of
        self._amount = amount_of
        self._date = date_of
        self._position = position
        index = self._resolve(mapping, header, source_name)
        self.width = len(header) if header is not None else None
        self._i_number = index["invoice_number"]
        self._i_debtor = index["debtor_number"]
        self._i_invoice_date = index["invoice_date"]
        self._i_due_date = index["due_date"]
        self._i_amount = index["amount"]
        self._i_open = index.get("open_amount")
        self._i_currency = index.get("currency")
        self._i_condition = index.get("payment_condition")
        self._i_kind = index.get("kind")
        self._i_pdf = index.get("pdf_url")
        self._i_name = index.get("debtor_name")
        self._debtor_fields = {name: index[name] for name in _DEBTOR_DETAILS if name in index}
        self._i_address = [
            index[name] for name in sorted(index) if name.startswith("debtor_address_lines")
        ]
        self.needed_width = max(index.values()) + 1
        self.number_index = self._i_number
        debtor_columns = [
            self._i_debtor,
            *(i for i in [self._i_name] if i is not None),
            *self._debtor_fields.values(),
            *self._i_address,
        ]
        self._debtor_cells = operator.itemgetter(*debtor_columns)
        self._debtors: OrderedDict[str, tuple[Any, ImportedDebtor]] = OrderedDict()

    @staticmethod
    def _resolve(
        mapping: CsvMapping, header: Sequence[str] | None, source_name: str
    ) -> dict[str, int]:
        refs = mapping.columns()
        index: dict[str, int] = {}
        if header is None:
            for name, ref in refs.items():
                assert isinstance(ref, int)  # guaranteed by CsvMapping's validation
                index[name] = ref
            return index
        positions: dict[str, int] = {}
        for i, title in enumerate(header):
            positions.setdefault(title.strip().lower(), i)
        missing: list[str] = []
        for name, ref in refs.items():
            if isinstance(ref, int):
                index[name] = ref
                continue
            found = positions.get(ref.strip().lower())
            if found is not None:
                index[name] = found
            elif name in _REQUIRED:
                missing.append(ref)
        if missing:
            raise MissingColumns(source_name, missing, [t.strip() for t in header if t.strip()])
        return index

    def read(self, row: Sequence[Any], number: int) -> SourceRecord | RejectedRecord:
        """Read one row; ``number`` is its line or row number in the file."""
        position = f"{self._position} {number}"
        if len(row) < self.needed_width:
            row = [*row, *([None] * (self.needed_width - len(row)))]
        text = self._text
        invoice_number = text(row[self._i_number])
        try:
            debtor_number = text(row[self._i_debtor])
            kind: InvoiceKind | None = None
            if self._i_kind is not None:
                kind = _kind(text(row[self._i_kind]))
            amount_cell = row[self._i_amount]
            amount = self._amount(amount_cell, "amount")
            open_amount = None
            if self._i_open is not None:
                open_cell = row[self._i_open]
                # Nothing paid yet, as on most open invoices: the same text, read once.
                open_amount = (
                    amount if open_cell == amount_cell else self._amount(open_cell, "open amount")
                )
            invoice = invoice_from_source(
                number=invoice_number,
                debtor_number=debtor_number,
                invoice_date=self._date(row[self._i_invoice_date], "invoice date"),
                due_date=self._date(row[self._i_due_date], "due date"),
                amount=amount,
                open_amount=open_amount,
                currency=self._currency(row),
                kind=kind,
                payment_condition=(
                    None if self._i_condition is None else text(row[self._i_condition])
                ),
                pdf_url=None if self._i_pdf is None else text(row[self._i_pdf]),
            )
            debtor = None if self._i_name is None else self._debtor(row, invoice.debtor_number)
        except RecordRejected as rejected:
            return RejectedRecord(
                position, rejected.reference or invoice_number or None, rejected.reason
            )
        return SourceRecord(position, invoice, debtor)

    def _currency(self, row: Sequence[Any]) -> str:
        if self._i_currency is None:
            return self.mapping.default_currency
        return self._text(row[self._i_currency]) or self.mapping.default_currency

    def _debtor(self, row: Sequence[Any], number: str) -> ImportedDebtor:
        # A debtor's details repeat on every one of its invoices; build the record once per
        # distinct set of cells.
        cells = self._debtor_cells(row)
        cached = self._debtors.get(number)
        if cached is not None and cached[0] == cells:
            return cached[1]
        text = self._text
        fields = self._debtor_fields
        assert self._i_name is not None

        def cell(name: str) -> str | None:
            i = fields.get(name)
            return None if i is None else text(row[i])

        type_text = (cell("debtor_type") or "").lower()
        debtor_type = self.mapping.default_debtor_type
        if type_text:
            if type_text not in _DEBTOR_TYPES:
                raise RecordRejected(
                    f"debtor type '{type_text}' is not business (b2b, zakelijk) "
                    "or consumer (b2c, particulier)"
                )
            debtor_type = _DEBTOR_TYPES[type_text]
        debtor = debtor_from_source(
            number=number,
            name=text(row[self._i_name]),
            type=debtor_type,
            emails=_EMAIL_SEPARATORS.split(cell("debtor_emails") or ""),
            phone=cell("debtor_phone"),
            address_lines=[text(row[i]) for i in self._i_address],
            postal_code=cell("debtor_postal_code"),
            city=cell("debtor_city"),
            country=cell("debtor_country"),
            language=cell("debtor_language"),
        )
        known = self._debtors
        if len(known) >= _DEBTOR_CACHE_LIMIT and number not in known:
            known.popitem(last=False)
        known[number] = (cells, debtor)
        return debtor


def _kind(text: str) -> InvoiceKind | None:
    if not text:
        return None
    kind = _KINDS.get(text.lower())
    if kind is None:
        raise RecordRejected(
            f"document kind '{text}' is not invoice (factuur) or credit note (creditnota)"
        )
    return kind
