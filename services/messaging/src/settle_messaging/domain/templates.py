"""Message templates: Jinja2 in a sandbox, built-in defaults and per-administration overrides.

A template has three parts: a subject, a plain-text body and an HTML body. Built-in defaults
live as files under ``settle_messaging/templates/<language>/``; an administration may override a
template per language with its own source, which runs in the same sandbox as the defaults:

* ``ImmutableSandboxedEnvironment``: no attribute starting with ``_``, no Python internals, no
  mutating of lists or dicts handed in;
* ``StrictUndefined``: a misspelt variable fails loudly instead of printing nothing;
* a static check refuses sources that even mention ``__class__``-style names, so a hostile
  template is refused when it is saved, not only when a branch that reaches it runs;
* ``*`` and ``**`` are guarded so ``'x' * 10**10`` cannot exhaust memory.

The HTML part is autoescaped; subject and text are not (they are not HTML), and the subject is
flattened to one line so it is always a safe header value.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any

from jinja2 import (
    PackageLoader,
    StrictUndefined,
    Template,
    TemplateRuntimeError,
    nodes,
    pass_context,
)
from jinja2 import TemplateNotFound as JinjaTemplateNotFound
from jinja2 import TemplateSyntaxError as JinjaTemplateSyntaxError
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from settle_messaging.domain.errors import (
    TemplateContextError,
    TemplateInvalid,
    TemplateNotFound,
    TemplateRenderError,
    TemplateSecurityError,
)
from settle_messaging.domain.formatting import (
    country_name,
    format_day,
    format_money,
    language_of_country,
    locale_for,
)
from settle_messaging.domain.labels import labels_for
from settle_messaging.domain.model import (
    Channel,
    MessageContext,
    Money,
    TemplateKey,
    Tone,
)
from settle_messaging.domain.samples import sample_context

#: Languages the built-in templates are written in.
BUILTIN_LANGUAGES: tuple[str, ...] = ("nl", "en", "de", "fr")

#: Printed by the text part of a letter where the letter's invoice table goes: the PDF draws a
#: real table there instead of the monospaced one an email gets.
INVOICE_TABLE_MARKER = "[[invoice-table]]"

# Limits for what a template may build with * and **; far above anything a letter needs.
_MAX_SEQUENCE_LENGTH = 100_000
_MAX_EXPONENT = 100
_MAX_SUBJECT_LENGTH = 250

_TEMPLATE_NAME = re.compile(r"^[a-z_]+$")


class Part(StrEnum):
    """The parts of a message template."""

    SUBJECT = "subject"
    TEXT = "text"
    HTML = "html"


_PART_SUFFIX = {Part.SUBJECT: ".subject.txt", Part.TEXT: ".txt", Part.HTML: ".html"}


@dataclass(frozen=True, slots=True)
class TemplateSource:
    """An administration's own version of a template, as stored in the database.

    ``html`` may be left out: the HTML part is then made from the text part (escaped, one
    paragraph per blank-line-separated block) inside the standard layout.
    """

    subject: str
    text: str
    html: str | None = None


#: Overrides of one administration, keyed by (template key, language).
TemplateOverrides = Mapping[tuple[str, str], TemplateSource]


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A rendered message: one-line subject, plain text and HTML, and what produced them."""

    subject: str
    text: str
    html: str
    template_key: str
    language: str
    locale: str
    from_override: bool


# --- the sandbox -----------------------------------------------------------------------------


class _MessageSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, plus guards against templates that try to exhaust memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, int | float | Decimal) and abs(Decimal(right)) > _MAX_EXPONENT:
                raise SecurityError("exponent too large for a template")
            return left**right
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if (
                    isinstance(sequence, str | list | tuple)
                    and isinstance(times, int)
                    and len(sequence) * times > _MAX_SEQUENCE_LENGTH
                ):
                    raise SecurityError("sequence too long for a template")
            return left * right
        return super().call_binop(context, operator, left, right)


@pass_context
def _money_filter(context: Context, value: Money | Decimal, currency: str | None = None) -> str:
    return format_money(value, context["locale"], currency)


@pass_context
def _date_filter(context: Context, value: date, style: str = "long") -> str:
    return format_day(value, context["locale"], style)


@pass_context
def _country_filter(context: Context, value: str) -> str:
    return country_name(value, context["locale"])


def _nl2br(value: str) -> Markup:
    """Escape text (a user's or a debtor's) and keep its line breaks in HTML."""
    escaped = html.escape(value.replace("\r\n", "\n").replace("\r", "\n"), quote=True)
    # Every character of the input was escaped above, so marking the result safe is sound.
    return Markup("<br>\n".join(escaped.split("\n")))  # noqa: S704


def _make_environment(autoescape: bool) -> _MessageSandbox:
    env = _MessageSandbox(
        loader=PackageLoader("settle_messaging", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    # Helpers a message never needs; fewer objects in reach means less to audit.
    for name in ("lipsum", "cycler", "joiner"):
        env.globals.pop(name, None)
    env.filters["money"] = _money_filter
    env.filters["date"] = _date_filter
    env.filters["country"] = _country_filter
    env.filters["nl2br"] = _nl2br if autoescape else (lambda value: value)
    return env


_TEXT_ENV = _make_environment(autoescape=False)
_HTML_ENV = _make_environment(autoescape=True)


def _env_for(part: Part) -> _MessageSandbox:
    return _HTML_ENV if part is Part.HTML else _TEXT_ENV


@lru_cache(maxsize=1)
def _builtin_names() -> frozenset[str]:
    return frozenset(_TEXT_ENV.list_templates())


def builtin_template_exists(template_key: str, language: str) -> bool:
    """Whether a built-in template exists for a key in a language."""
    return f"{language}/{template_key}{_PART_SUFFIX[Part.TEXT]}" in _builtin_names()


def builtin_source(template_key: str, language: str) -> TemplateSource:
    """The text of a built-in template (its subject, text and HTML parts), to start an
    administration's own version from; TemplateNotFound when there is none in the language."""
    parts: dict[Part, str] = {}
    for part in Part:
        name = f"{language}/{template_key}{_PART_SUFFIX[part]}"
        env = _env_for(part)
        try:
            assert env.loader is not None
            parts[part] = env.loader.get_source(env, name)[0]
        except JinjaTemplateNotFound as exc:
            raise TemplateNotFound(f"built-in template {name} does not exist") from exc
    return TemplateSource(subject=parts[Part.SUBJECT], text=parts[Part.TEXT], html=parts[Part.HTML])


# --- static safety check of overrides --------------------------------------------------------


def _unsafe_names(tree: nodes.Template) -> Iterator[str]:
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Name)):
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            yield node.attr
        elif isinstance(node, nodes.Getitem):
            key = node.arg
            if isinstance(key, nodes.Const) and isinstance(key.value, str):
                if key.value.startswith("_"):
                    yield key.value
        elif isinstance(node, nodes.Filter) and node.name == "attr":
            for arg in node.args:
                if isinstance(arg, nodes.Const) and str(arg.value).startswith("_"):
                    yield str(arg.value)
        elif isinstance(node, nodes.Name) and node.name.startswith("_"):
            yield node.name


def _compile_checked(part: Part, source: str) -> Template:
    env = _env_for(part)
    try:
        tree = env.parse(source)
    except JinjaTemplateSyntaxError as exc:
        raise TemplateInvalid(f"{part.value} part, line {exc.lineno}: {exc.message}") from exc
    unsafe = sorted(set(_unsafe_names(tree)))
    if unsafe:
        raise TemplateSecurityError(
            f"{part.value} part refers to {', '.join(unsafe)}: names starting with an"
            " underscore reach Python internals and are not allowed in a template"
        )
    try:
        return env.from_string(source)
    except JinjaTemplateSyntaxError as exc:
        raise TemplateInvalid(f"{part.value} part, line {exc.lineno}: {exc.message}") from exc


# Compiling is the expensive step; an administration's override is compiled once per source
# text, so a run of thousands of reminders compiles it once.
@lru_cache(maxsize=1024)
def _compile_override(part: Part, source: str) -> Template:
    return _compile_checked(part, source)


@lru_cache(maxsize=1)
def _text_to_html_template() -> Template:
    return _HTML_ENV.get_template("_from_text.html")


def _builtin(part: Part, template_key: str, language: str) -> Template:
    name = f"{language}/{template_key}{_PART_SUFFIX[part]}"
    try:
        return _env_for(part).get_template(name)
    except JinjaTemplateNotFound as exc:
        raise TemplateNotFound(f"built-in template {name} does not exist") from exc


# --- rendering -------------------------------------------------------------------------------


def _check_required(template_key: str, context: MessageContext) -> None:
    """Refuse a context that lacks what this kind of message must state."""
    reminders = {
        TemplateKey.FRIENDLY_REMINDER,
        TemplateKey.SECOND_REMINDER,
        TemplateKey.FINAL_REMINDER,
        TemplateKey.FOURTEEN_DAY_LETTER,
        TemplateKey.PAYMENT_PLAN_REJECTED,
    }
    if template_key in reminders and not context.invoices:
        raise TemplateContextError(f"{template_key} needs at least one invoice")
    if template_key == TemplateKey.FOURTEEN_DAY_LETTER and context.collection_costs is None:
        # Art. 6:96 lid 6 BW: the letter must state the costs; without them it is worthless.
        raise TemplateContextError("the 14-day letter must state the collection costs")
    if template_key == TemplateKey.PAYMENT_PLAN_CONFIRMATION and context.payment_plan is None:
        raise TemplateContextError("a payment-plan confirmation needs the payment plan")
    if template_key in (
        TemplateKey.PAYMENT_PLAN_INSTALMENT_REMINDER,
        TemplateKey.PAYMENT_PLAN_INSTALMENT_MISSED,
    ) and (context.payment_plan is None or context.instalment is None):
        raise TemplateContextError(
            "an instalment reminder or missed notice needs the plan and the instalment"
        )
    if template_key == TemplateKey.FREE_MESSAGE and not (context.message_body or "").strip():
        raise TemplateContextError("a free message needs a text")


def _variables(
    context: MessageContext, language: str, tone: Tone, channel: Channel
) -> dict[str, Any]:
    country = (
        context.debtor.address.country
        if context.debtor.address is not None
        else context.administration.country
    )
    return {
        "debtor": context.debtor,
        "administration": context.administration,
        "sender": context.sender,
        "invoices": context.invoices,
        "total_open": context.total_open,
        "credit_notes": context.credit_notes,
        "amount_due": context.amount_due,
        "payment_link": context.payment_link,
        "reply_link": context.reply_link,
        "collection_costs": context.collection_costs,
        "collection_costs_maximum": context.collection_costs_maximum,
        "payment_plan": context.payment_plan,
        "instalment": context.instalment,
        "message_subject": context.message_subject,
        "message_body": context.message_body,
        "reference": context.reference,
        "today": context.today,
        "language": language,
        "locale": locale_for(language, country),
        "tone": tone.value,
        "formal": tone is Tone.FORMAL,
        "channel": channel.value,
        "is_letter": channel is Channel.LETTER,
        "invoice_table_marker": INVOICE_TABLE_MARKER,
        "labels": labels_for(language),
    }


def _run(template: Template, variables: Mapping[str, Any], part: Part) -> str:
    try:
        return template.render(variables)
    except SecurityError as exc:
        raise TemplateSecurityError(f"{part.value} part refused by the sandbox: {exc}") from exc
    except UndefinedError as exc:
        raise TemplateRenderError(f"{part.value} part: {exc}") from exc
    except JinjaTemplateNotFound as exc:
        raise TemplateInvalid(f"{part.value} part includes unknown template {exc}") from exc
    except JinjaTemplateSyntaxError as exc:
        raise TemplateInvalid(f"{part.value} part: {exc.message}") from exc
    except TemplateRuntimeError as exc:
        raise TemplateRenderError(f"{part.value} part: {exc}") from exc
    except OverflowError as exc:
        # The sandbox's way of refusing a range() too large to loop over.
        raise TemplateSecurityError(f"{part.value} part refused by the sandbox: {exc}") from exc
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        # A template's own mistake (adding a string to a date, dividing by zero) must become
        # a refusal the user can read, not crash the consumer that renders it.
        raise TemplateRenderError(f"{part.value} part: {type(exc).__name__}: {exc}") from exc


def _one_line(subject: str) -> str:
    # Any line break in a subject would end the header; collapse all whitespace instead.
    flat = " ".join(subject.split())
    if len(flat) > _MAX_SUBJECT_LENGTH:
        flat = flat[: _MAX_SUBJECT_LENGTH - 1].rstrip() + "…"
    return flat


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    tidy = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return tidy + "\n"


def _candidate_languages(language: str, context: MessageContext) -> list[str]:
    administration = context.administration
    candidates: list[str] = []
    for candidate in (
        language,
        administration.default_language,
        administration.fallback_language,
    ):
        if candidate not in candidates:
            candidates.append(candidate)
    return candidates


class TemplateRenderer:
    """Renders messages from built-in templates and an administration's overrides."""

    def __init__(self, overrides: TemplateOverrides | None = None) -> None:
        self._overrides: TemplateOverrides = overrides or {}

    def has_template(self, template_key: str, language: str) -> bool:
        """Whether the administration has the template in a language (its own or built in)."""
        return (template_key, language) in self._overrides or builtin_template_exists(
            template_key, language
        )

    def language_for(
        self, template_key: str, own: str | None, country: str | None, default: str
    ) -> str:
        """The language to write to a debtor in: their own; without one, the language of
        their country where the administration has the template in it; else ``default``
        (the administration's)."""
        if own:
            return own
        spoken = language_of_country(country) if country else None
        if spoken and self.has_template(template_key, spoken):
            return spoken
        return default

    def resolve_language(self, template_key: str, language: str, context: MessageContext) -> str:
        """Pick the language to write in: the debtor's, else the administration's default,
        else its fallback, whichever first has a template (an override or a built-in)."""
        for candidate in _candidate_languages(language, context):
            if (template_key, candidate) in self._overrides or builtin_template_exists(
                template_key, candidate
            ):
                return candidate
        raise TemplateNotFound(
            f"no template {template_key!r} in {', '.join(_candidate_languages(language, context))}"
        )

    def render(
        self,
        template_key: str,
        language: str,
        tone: Tone,
        context: MessageContext,
        channel: Channel = Channel.EMAIL,
    ) -> RenderedMessage:
        """Render a message in the debtor's language (with fallback) and the given tone.

        Raises a :class:`~settle_messaging.domain.errors.TemplateError` subclass when the
        template is missing, unsafe or fails, or the context lacks what the message must say.
        """
        if not _TEMPLATE_NAME.match(template_key):
            raise TemplateNotFound(f"{template_key!r} is not a template key")
        _check_required(template_key, context)
        chosen = self.resolve_language(template_key, language, context)
        variables = _variables(context, chosen, tone, channel)
        override = self._overrides.get((template_key, chosen))
        html_template: Template | None
        if override is not None:
            subject_template = _compile_override(Part.SUBJECT, override.subject)
            text_template = _compile_override(Part.TEXT, override.text)
            html_template = (
                _compile_override(Part.HTML, override.html) if override.html is not None else None
            )
        else:
            subject_template = _builtin(Part.SUBJECT, template_key, chosen)
            text_template = _builtin(Part.TEXT, template_key, chosen)
            html_template = _builtin(Part.HTML, template_key, chosen)
        subject = _one_line(_run(subject_template, variables, Part.SUBJECT))
        text = _tidy_text(_run(text_template, variables, Part.TEXT))
        if html_template is not None:
            html_body = _run(html_template, variables, Part.HTML)
        else:
            html_body = _run(
                _text_to_html_template(),
                {**variables, "subject": subject, "text": text},
                Part.HTML,
            )
        return RenderedMessage(
            subject=subject,
            text=text,
            html=html_body,
            template_key=template_key,
            language=chosen,
            locale=variables["locale"],
            from_override=override is not None,
        )


_DEFAULT_RENDERER = TemplateRenderer()


def render(
    template_key: str,
    language: str,
    tone: Tone,
    context: MessageContext,
    *,
    overrides: TemplateOverrides | None = None,
    channel: Channel = Channel.EMAIL,
) -> RenderedMessage:
    """Render a message; see :meth:`TemplateRenderer.render`."""
    renderer = _DEFAULT_RENDERER if not overrides else TemplateRenderer(overrides)
    return renderer.render(template_key, language, tone, context, channel)


def preview(
    template_key: str,
    language: str,
    tone: Tone,
    *,
    overrides: TemplateOverrides | None = None,
    channel: Channel = Channel.EMAIL,
) -> RenderedMessage:
    """Render a template with sample data, for the preview in the user interface."""
    return render(
        template_key,
        language,
        tone,
        sample_context(template_key, language),
        overrides=overrides,
        channel=channel,
    )


def validate_template_source(template_key: str, language: str, source: TemplateSource) -> None:
    """Check an administration's template before it is saved.

    It must compile, pass the static safety check, and render with sample data in both tones
    and on both channels; the first failure is raised as a ``TemplateError`` subclass.
    """
    for part, text in ((Part.SUBJECT, source.subject), (Part.TEXT, source.text)):
        _compile_checked(part, text)
    if source.html is not None:
        _compile_checked(Part.HTML, source.html)
    overrides = {(template_key, language): source}
    for tone in Tone:
        for channel in Channel:
            preview(template_key, language, tone, overrides=overrides, channel=channel)
