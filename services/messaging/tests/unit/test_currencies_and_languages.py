"""Every ISO 4217 currency written for the debtor's locale without changing the amount; a
reminder states the debtor's credit notes and what remains; a debtor without a language is
written to in their country's language where the administration has the template in it."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from babel.numbers import get_currency_symbol, parse_decimal

from settle_messaging.domain.errors import InvalidMessageContext
from settle_messaging.domain.formatting import format_money, language_of_country
from settle_messaging.domain.model import (
    AdministrationInfo,
    CreditNoteLine,
    DebtorInfo,
    DebtorType,
    InvoiceLine,
    MessageContext,
    PostalAddress,
    SenderInfo,
    Tone,
)
from settle_messaging.domain.templates import TemplateRenderer, TemplateSource, render

pytestmark = pytest.mark.unit

# The active ISO 4217 codes (SIX, list one, 2025): every currency an invoice can be in.
ISO_4217 = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD
XCG XOF XPF YER ZAR ZMW ZWG ZWL
""".split()
LOCALES = ["nl_NL", "en_GB", "de_DE", "fr_FR", "sv_SE", "en_US"]


def _number_in(text: str, code: str, locale: str) -> Decimal:
    # Take the currency's symbol (which may hold a dot: "B/.", "S/.") or code away, keep what
    # is left of digits, separators and sign.
    for mark in (get_currency_symbol(code, locale), code):
        text = text.replace(mark, "")
    number = re.sub(r"[^\d.,\u00a0\u202f\u2019' \-\u2212]", "", text).strip()
    return Decimal(parse_decimal(number.replace("\u2212", "-"), locale=locale, strict=False))


@pytest.mark.parametrize("locale", LOCALES)
def test_every_iso_4217_currency_is_written_with_its_code_or_symbol_and_exact_amount(
    locale: str,
) -> None:
    for code in ISO_4217:
        for amount in (Decimal("1234.56"), Decimal("-1656.25"), Decimal("7")):
            written = format_money(amount, locale, code)
            assert _number_in(written, code, locale) == amount, (code, locale, written)
            assert re.search(r"\D", written.replace("-", "")), written  # a symbol or code


def test_digits_follow_the_currency() -> None:
    assert format_money(Decimal("1234.00"), "nl_NL", "JPY") == "JP¥\xa01.234"
    assert format_money(Decimal("1234.50"), "nl_NL", "JPY") == "JP¥\xa01.234,5"  # not rounded
    assert format_money(Decimal("1234.50"), "en_GB", "KWD") == "KWD1,234.500"
    assert format_money(Decimal("1200.00"), "en_GB", "GBP") == "£1,200.00"
    assert format_money(Decimal("3200.00"), "sv_SE", "SEK") == "3\xa0200,00\xa0kr"


@pytest.mark.parametrize(
    ("country", "language"),
    [("SE", "sv"), ("GB", "en"), ("BE", "nl"), ("AT", "de"), ("LU", "fr"), ("ZZ", None)],
)
def test_the_language_of_a_country(country: str, language: str | None) -> None:
    assert language_of_country(country) == language


def test_a_debtor_without_a_language_is_written_to_in_their_countrys_where_possible() -> None:
    renderer = TemplateRenderer()
    assert renderer.language_for("friendly_reminder", None, "GB", "nl") == "en"
    assert renderer.language_for("friendly_reminder", None, "DE", "nl") == "de"
    # No Swedish templates: the administration's default.
    assert renderer.language_for("friendly_reminder", None, "SE", "nl") == "nl"
    assert renderer.language_for("friendly_reminder", None, None, "nl") == "nl"
    # The debtor's own language goes first, whatever the country.
    assert renderer.language_for("friendly_reminder", "fr", "GB", "nl") == "fr"
    # An administration with a Swedish template of its own writes Swedish to a Swede.
    swedish = TemplateSource(subject="Påminnelse", text="Hej {{ debtor.name }}")
    own = TemplateRenderer({("friendly_reminder", "sv"): swedish})
    assert own.language_for("friendly_reminder", None, "SE", "nl") == "sv"
    assert own.language_for("second_reminder", None, "SE", "nl") == "nl"


def _context(credit_notes: tuple[CreditNoteLine, ...] = ()) -> MessageContext:
    return MessageContext(
        debtor=DebtorInfo(
            name="BuyerTradingName AS",
            language="en",
            type=DebtorType.BUSINESS,
            address=PostalAddress("1 High Street", "SW1A 1AA", "London", "GB"),
        ),
        administration=AdministrationInfo(name="Seller B.V.", email="ar@seller.example"),
        sender=SenderInfo(name="Seller B.V."),
        today=date(2025, 3, 10),
        invoices=(
            InvoiceLine(
                number="Snippet1",
                invoice_date=date(2017, 11, 13),
                due_date=date(2017, 12, 1),
                amount=Decimal("1656.25"),
                open_amount=Decimal("1656.25"),
                currency="GBP",
            ),
        ),
        credit_notes=credit_notes,
    )


def test_a_reminder_states_the_credit_note_and_asks_for_what_remains() -> None:
    note = CreditNoteLine(
        number="Correction1",
        amount=Decimal("-656.25"),
        open_amount=Decimal("-656.25"),
        currency="GBP",
        invoice_date=date(2017, 11, 20),
        corrects="Snippet1",
    )

    rendered = render("friendly_reminder", "en", Tone.FORMAL, _context((note,)))

    assert "Credit note Correction1" in rendered.text
    assert "for invoice Snippet1" in rendered.text
    assert "-£656.25" in rendered.text
    assert "Amount due: £1,000.00" in rendered.text
    assert "the outstanding amount of £1,000.00" in rendered.text
    assert "Correction1" in rendered.html and "£1,000.00" in rendered.html


def test_without_credit_notes_the_reminder_asks_for_the_open_amount() -> None:
    rendered = render("friendly_reminder", "en", Tone.FORMAL, _context())
    assert "Credit note" not in rendered.text and "Amount due" not in rendered.text
    assert "the outstanding amount of £1,656.25" in rendered.text


def test_a_credit_note_in_another_currency_is_never_added() -> None:
    dollars = CreditNoteLine(
        number="C-9", amount=Decimal("-10.00"), open_amount=Decimal("-10.00"), currency="USD"
    )
    with pytest.raises(InvalidMessageContext, match="cannot be taken off"):
        _context((dollars,))
