from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from settle_messaging.domain.errors import (
    InvalidMessageContext,
    TemplateContextError,
    TemplateInvalid,
    TemplateNotFound,
    TemplateRenderError,
    TemplateSecurityError,
)
from settle_messaging.domain.model import (
    Channel,
    DebtorType,
    MessageContext,
    Money,
    TemplateKey,
    Tone,
)
from settle_messaging.domain.templates import (
    BUILTIN_LANGUAGES,
    INVOICE_TABLE_MARKER,
    TemplateRenderer,
    TemplateSource,
    preview,
    render,
    validate_template_source,
)

pytestmark = pytest.mark.unit

Factory = Callable[..., Any]

LEGAL_NL = "binnen 14 dagen vanaf de dag nadat deze brief bij u is bezorgd"
LEGAL_EN = "within 14 days from the day after this letter has been delivered to you"


def flat(text: str) -> str:
    """Babel keeps an amount and its currency together with no-break spaces; compare plainly."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


@pytest.mark.parametrize("language", BUILTIN_LANGUAGES)
@pytest.mark.parametrize("key", list(TemplateKey))
@pytest.mark.parametrize("tone", list(Tone))
@pytest.mark.parametrize("channel", list(Channel))
def test_every_builtin_renders_cleanly(
    language: str, key: TemplateKey, tone: Tone, channel: Channel
) -> None:
    rendered = preview(key, language, tone, channel=channel)

    assert rendered.language == language
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.text.strip()
    assert "{{" not in flat(rendered.text) and "{%" not in flat(rendered.text)
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert "{{" not in flat(rendered.html)
    assert (INVOICE_TABLE_MARKER in flat(rendered.text)) == (
        channel is Channel.LETTER and key not in _KEYS_WITHOUT_INVOICE_TABLE
    )


_KEYS_WITHOUT_INVOICE_TABLE = {
    TemplateKey.PAYMENT_PLAN_INSTALMENT_REMINDER,
    TemplateKey.PAYMENT_PLAN_INSTALMENT_MISSED,
    TemplateKey.FREE_MESSAGE,
}


def test_friendly_reminder_in_dutch_formats_amounts_and_dates(context_factory: Factory) -> None:
    context: MessageContext = context_factory()

    rendered = render(TemplateKey.FRIENDLY_REMINDER, "nl", Tone.FORMAL, context)

    assert rendered.subject == "Herinnering factuur 2025-0001 \u2013 Groothandel Noord B.V."
    assert "Geachte heer/mevrouw," in flat(rendered.text)
    assert "€ 1.210,00" in flat(rendered.text)
    assert "05-02-2025" in flat(rendered.text)  # due date, Dutch short format
    assert "€ 1.210,00" in flat(rendered.html)
    assert rendered.locale == "nl_NL"


def test_tone_changes_the_form_of_address(context_factory: Factory) -> None:
    context = context_factory()

    formal = render(TemplateKey.FRIENDLY_REMINDER, "nl", Tone.FORMAL, context).text
    informal = render(TemplateKey.FRIENDLY_REMINDER, "nl", Tone.INFORMAL, context).text

    assert "Wij verzoeken u" in formal
    assert "Beste Bakkerij De Korenaar," in informal
    assert "Wil je het openstaande bedrag" in informal


def test_amounts_follow_the_debtors_locale(
    context_factory: Factory, debtor_factory: Factory
) -> None:
    german = context_factory(debtor=debtor_factory(language="de", address=None))
    british = context_factory(
        debtor=debtor_factory(language="en", address=None),
        administration=context_factory().administration,
    )

    assert "1.210,00 €" in flat(
        render(TemplateKey.FRIENDLY_REMINDER, "de", Tone.FORMAL, german).text
    )
    # en with the administration's country NL: CLDR's en_NL, as a Dutch reader of English.
    text = render(TemplateKey.FRIENDLY_REMINDER, "en", Tone.FORMAL, british).text
    assert "€ 1.210,00" in flat(text)
    assert "5 February 2025" not in flat(text)  # the table uses the short form
    assert "05/02/2025" in flat(text)


def test_bundle_lists_every_invoice_and_the_total(
    context_factory: Factory, invoice_factory: Factory
) -> None:
    context = context_factory(
        invoices=(
            invoice_factory("A-1", open_amount=Decimal("100.50")),
            invoice_factory("A-2", amount=Decimal("50.00"), open_amount=Decimal("25.25")),
        )
    )

    rendered = render(TemplateKey.SECOND_REMINDER, "nl", Tone.FORMAL, context)

    assert "A-1" in flat(rendered.text) and "A-2" in flat(rendered.text)
    assert "Totaal openstaand: € 125,75" in flat(rendered.text)
    assert "facturen" in rendered.subject
    assert "€ 125,75" in flat(rendered.html)


def test_mixed_currencies_in_one_bundle_are_refused(
    context_factory: Factory, invoice_factory: Factory
) -> None:
    with pytest.raises(InvalidMessageContext):
        context_factory(invoices=(invoice_factory("A"), invoice_factory("B", currency="USD")))


def test_without_payment_link_no_link_is_shown(context_factory: Factory) -> None:
    context = context_factory(payment_link=None)

    rendered = render(TemplateKey.FRIENDLY_REMINDER, "en", Tone.FORMAL, context)

    assert "Pay now" not in flat(rendered.html)
    assert "pay quickly" not in flat(rendered.text)
    # the only links left are the reply link and the administration's address
    assert rendered.html.count('href="https://') == 1
    assert "IBAN NL02 ABNA 0123 4567 89" in flat(rendered.text)


def test_with_payment_link_the_link_is_shown(context_factory: Factory) -> None:
    context = context_factory(payment_link="https://pay.example.com/p/123")

    rendered = render(TemplateKey.FRIENDLY_REMINDER, "en", Tone.FORMAL, context)

    assert "https://pay.example.com/p/123" in flat(rendered.text)
    assert 'href="https://pay.example.com/p/123"' in flat(rendered.html)
    assert "Pay now" in flat(rendered.html)


@pytest.mark.parametrize("link", ["javascript:alert(1)", "/relative", "ftp://x.example.com/a"])
def test_unusable_links_are_refused(context_factory: Factory, link: str) -> None:
    with pytest.raises(InvalidMessageContext):
        context_factory(payment_link=link)


def test_empty_link_means_no_link(context_factory: Factory) -> None:
    assert context_factory(payment_link="  ").payment_link is None


def test_fourteen_day_letter_states_costs_and_the_legal_term(
    context_factory: Factory, euro: Callable[[str], Money]
) -> None:
    context = context_factory(collection_costs=euro("181.50"))

    rendered = render(TemplateKey.FOURTEEN_DAY_LETTER, "nl", Tone.FORMAL, context)

    assert LEGAL_NL in flat(rendered.text)
    assert LEGAL_NL in flat(rendered.html)
    assert "buitengerechtelijke incassokosten verschuldigd van € 181,50" in flat(rendered.text)
    assert "wettelijk maximum" not in flat(rendered.text)


def test_fourteen_day_letter_mentions_the_legal_maximum_when_less_is_charged(
    context_factory: Factory, euro: Callable[[str], Money]
) -> None:
    context = context_factory(
        collection_costs=euro("40.00"), collection_costs_maximum=euro("181.50")
    )

    text = render(TemplateKey.FOURTEEN_DAY_LETTER, "nl", Tone.FORMAL, context).text

    assert "€ 40,00 (het wettelijk maximum is € 181,50)" in flat(text)


def test_fourteen_day_letter_keeps_its_wording_in_an_informal_administration(
    context_factory: Factory, euro: Callable[[str], Money]
) -> None:
    context = context_factory(collection_costs=euro("40.00"))

    text = render(TemplateKey.FOURTEEN_DAY_LETTER, "nl", Tone.INFORMAL, context).text

    assert LEGAL_NL in flat(text)
    assert "Geachte heer/mevrouw," in flat(text)


def test_fourteen_day_letter_in_english(
    context_factory: Factory, debtor_factory: Factory, euro: Callable[[str], Money]
) -> None:
    context = context_factory(debtor=debtor_factory(language="en"), collection_costs=euro("40.00"))

    rendered = render(TemplateKey.FOURTEEN_DAY_LETTER, "en", Tone.FORMAL, context)

    assert LEGAL_EN in flat(rendered.text)
    assert "extrajudicial collection costs of € 40,00" in flat(rendered.text)


def test_fourteen_day_letter_without_costs_is_refused(context_factory: Factory) -> None:
    with pytest.raises(TemplateContextError):
        render(TemplateKey.FOURTEEN_DAY_LETTER, "nl", Tone.FORMAL, context_factory())


def test_reminder_without_invoices_is_refused(context_factory: Factory) -> None:
    with pytest.raises(TemplateContextError):
        render(TemplateKey.FRIENDLY_REMINDER, "nl", Tone.FORMAL, context_factory(invoices=()))


def test_language_falls_back_to_the_administration_default(
    context_factory: Factory, debtor_factory: Factory, administration_factory: Factory
) -> None:
    context = context_factory(
        debtor=debtor_factory(language="pl"),
        administration=administration_factory(default_language="de", fallback_language="en"),
    )

    rendered = render(TemplateKey.FRIENDLY_REMINDER, "pl", Tone.FORMAL, context)

    assert rendered.language == "de"
    assert rendered.subject.startswith("Zahlungserinnerung")


def test_language_falls_back_to_the_fallback_language(
    context_factory: Factory, debtor_factory: Factory, administration_factory: Factory
) -> None:
    context = context_factory(
        debtor=debtor_factory(language="pl"),
        administration=administration_factory(default_language="es", fallback_language="en"),
    )

    rendered = render(TemplateKey.FRIENDLY_REMINDER, "pl", Tone.FORMAL, context)

    assert rendered.language == "en"


def test_an_override_in_the_debtors_language_wins_over_fallback(
    context_factory: Factory, debtor_factory: Factory
) -> None:
    context = context_factory(debtor=debtor_factory(language="es"))
    overrides = {
        ("friendly_reminder", "es"): TemplateSource(
            subject="Recordatorio {{ invoices[0].number }}",
            text="Hola {{ debtor.name }}, total {{ total_open|money }}.",
        )
    }

    rendered = render(
        TemplateKey.FRIENDLY_REMINDER, "es", Tone.FORMAL, context, overrides=overrides
    )

    assert rendered.from_override
    assert rendered.language == "es"
    assert rendered.subject == "Recordatorio 2025-0001"
    assert "1.210,00" in flat(rendered.text)
    # no HTML given: it is made from the text, escaped, in the standard layout
    assert "Hola Bakkerij De Korenaar" in flat(rendered.html)
    assert "<!DOCTYPE html>" in flat(rendered.html)


def test_unknown_template_key_is_not_found(context_factory: Factory) -> None:
    with pytest.raises(TemplateNotFound):
        render("no_such_template", "nl", Tone.FORMAL, context_factory())
    with pytest.raises(TemplateNotFound):
        render("../etc/passwd", "nl", Tone.FORMAL, context_factory())


def test_html_from_the_data_is_escaped_in_html_and_left_alone_in_text(
    context_factory: Factory, debtor_factory: Factory
) -> None:
    context = context_factory(debtor=debtor_factory(name="<script>alert(1)</script> & Co"))

    rendered = render(TemplateKey.FRIENDLY_REMINDER, "nl", Tone.INFORMAL, context)

    assert "<script>" not in flat(rendered.html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in flat(rendered.html)
    assert "Beste <script>alert(1)</script> & Co," in flat(rendered.text)


def test_free_message_keeps_the_users_text_and_escapes_it_in_html(
    context_factory: Factory,
) -> None:
    context = context_factory(
        invoices=(),
        message_subject="Uw vraag\r\nBcc: evil@example.com",
        message_body="Regel 1 <b>vet?</b>\nRegel 2",
    )

    rendered = render(TemplateKey.FREE_MESSAGE, "nl", Tone.FORMAL, context)

    assert rendered.subject == "Uw vraag Bcc: evil@example.com"
    assert rendered.text.startswith("Regel 1 <b>vet?</b>\nRegel 2")
    assert "Regel 1 &lt;b&gt;vet?&lt;/b&gt;<br>\nRegel 2" in flat(rendered.html)
    assert "https://settle.example.com/reply/abc" in flat(rendered.text)


def test_letter_channel_leaves_room_for_the_table(context_factory: Factory) -> None:
    rendered = render(
        TemplateKey.FRIENDLY_REMINDER, "nl", Tone.FORMAL, context_factory(), channel=Channel.LETTER
    )

    assert INVOICE_TABLE_MARKER in flat(rendered.text)
    assert "Beantwoord dan deze e-mail" not in flat(rendered.text)
    assert "debiteuren@noord.example.com" in flat(rendered.text)


def test_payment_plan_messages(context_factory: Factory) -> None:
    sample = preview(TemplateKey.PAYMENT_PLAN_CONFIRMATION, "nl", Tone.FORMAL)
    assert "3 termijnen" in flat(sample.text)
    assert "BR-0031" in flat(sample.text)

    reminder = preview(TemplateKey.PAYMENT_PLAN_INSTALMENT_REMINDER, "en", Tone.INFORMAL)
    assert "Instalment 2 of 3" in flat(reminder.text)
    assert "https://pay.example.com/i/2" in flat(reminder.text)

    with pytest.raises(TemplateContextError):
        render(TemplateKey.PAYMENT_PLAN_CONFIRMATION, "nl", Tone.FORMAL, context_factory())


# --- the sandbox ------------------------------------------------------------------------------

HOSTILE_TEMPLATES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ debtor.__class__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ debtor['__class__'] }}",
    "{% set x = debtor.__init__ %}ok",
    "{{ self.__init__.__globals__ }}",
    "{{ request.application.__globals__ }}",
    "{{ _private }}",
]


@pytest.mark.parametrize("source", HOSTILE_TEMPLATES)
def test_templates_reaching_for_python_internals_are_refused(
    context_factory: Factory, source: str
) -> None:
    overrides = {("friendly_reminder", "nl"): TemplateSource(subject="Hi", text=source)}

    with pytest.raises(TemplateSecurityError):
        render(
            TemplateKey.FRIENDLY_REMINDER, "nl", Tone.FORMAL, context_factory(), overrides=overrides
        )

    with pytest.raises(TemplateSecurityError):
        validate_template_source("friendly_reminder", "nl", TemplateSource("Hi", source))


@pytest.mark.parametrize(
    "source",
    [
        # names built at run time slip past the static check; the sandbox stops them
        "{% set n = '_' ~ '_class__' %}{{ ''|attr(n) }}",
        "{{ '{0.__class__}'.format(debtor) }}",
        "{% set n = '_' ~ '_class__' %}{{ debtor[n] }}",
        "{{ 'x' * 1000000 }}",
        "{{ 2 ** 1000000000 }}",
        "{% for i in range(10000000) %}{% endfor %}",
        "{{ debtor.name.format.__self__ }}",
    ],
)
def test_the_sandbox_refuses_at_run_time(context_factory: Factory, source: str) -> None:
    overrides = {("friendly_reminder", "nl"): TemplateSource(subject="Hi", text=source)}

    with pytest.raises(TemplateSecurityError):
        render(
            TemplateKey.FRIENDLY_REMINDER, "nl", Tone.FORMAL, context_factory(), overrides=overrides
        )


def test_the_data_handed_in_cannot_be_changed(context_factory: Factory) -> None:
    overrides = {
        ("friendly_reminder", "nl"): TemplateSource(
            subject="Hi", text="{% set x = invoices.append(1) %}{{ invoices|length }}"
        )
    }

    with pytest.raises((TemplateSecurityError, TemplateRenderError)):
        render(
            TemplateKey.FRIENDLY_REMINDER, "nl", Tone.FORMAL, context_factory(), overrides=overrides
        )


def test_misspelt_variable_fails_loudly(context_factory: Factory) -> None:
    overrides = {("friendly_reminder", "nl"): TemplateSource("Hi", "{{ debtor.nmae }}")}

    with pytest.raises(TemplateRenderError):
        render(
            TemplateKey.FRIENDLY_REMINDER, "nl", Tone.FORMAL, context_factory(), overrides=overrides
        )


@pytest.mark.parametrize("source", ["{{ unclosed", "{% if %}", "{% include 'nope.txt' %}"])
def test_broken_templates_are_invalid(context_factory: Factory, source: str) -> None:
    with pytest.raises(TemplateInvalid):
        validate_template_source("friendly_reminder", "nl", TemplateSource("Hi", source))


def test_a_good_override_validates_and_may_use_the_shared_parts() -> None:
    source = TemplateSource(
        subject="Herinnering {{ invoices|map(attribute='number')|join(', ') }}",
        text=(
            '{% import "nl/_parts.txt" as parts with context %}'
            '{% import "_common.txt" as common with context %}'
            "{{ parts.salutation() }}\n\nNog open:\n{{ common.invoice_table() }}\n"
            "{{ parts.payment() }}\n{{ parts.closing() }}"
        ),
        html=(
            '{% extends "_layout.html" %}{% block content %}'
            "<p>{{ debtor.name }}: {{ total_open|money }}</p>{% endblock %}"
        ),
    )

    validate_template_source("friendly_reminder", "nl", source)

    renderer = TemplateRenderer({("friendly_reminder", "nl"): source})
    rendered = renderer.render(
        TemplateKey.FRIENDLY_REMINDER, "nl", Tone.FORMAL, _consumer_context()
    )
    assert rendered.subject == "Herinnering 2025-0117, 2025-0142"
    assert "Nog open:" in flat(rendered.text)
    assert "€ 1.494,00" in flat(rendered.html)


def _consumer_context() -> MessageContext:
    from settle_messaging.domain.samples import sample_context

    context = sample_context("friendly_reminder", "nl")
    assert context.debtor.type is DebtorType.CONSUMER
    return context


@pytest.mark.parametrize("language", BUILTIN_LANGUAGES)
def test_a_mail_signs_off_with_the_administration_once_when_it_is_the_sender(
    language: str,
) -> None:
    from dataclasses import replace

    from settle_messaging.domain.samples import sample_context

    context = sample_context("friendly_reminder", language)
    name = context.administration.name
    same = replace(context, sender=replace(context.sender, name=name, role=None))
    rendered = render(TemplateKey.FRIENDLY_REMINDER, language, Tone.FORMAL, same)
    closing = rendered.text.rstrip().splitlines()[-3:]
    assert closing.count(name) == 1, closing
    assert rendered.html.count(f"{name}</p>") + rendered.html.count(f"{name}<br>") <= 1

    # A person signing names both: themselves, then the administration.
    person = replace(context, sender=replace(context.sender, name="Marloes Visser", role=None))
    text = render(TemplateKey.FRIENDLY_REMINDER, language, Tone.FORMAL, person).text
    assert "Marloes Visser\n" + name in text
