"""The portal's pages rendered on the server (Jinja2, sandboxed, everything escaped), in the
debtor's language, with amounts and dates as the debtor reads them (Babel), and the headers
every page carries: no script may run, no other site may frame it, no link leaks the token."""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from fastapi.responses import HTMLResponse
from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from settle_gateway.domain.portal import LANGUAGES
from settle_gateway.portal.money import format_money
from settle_gateway.portal.texts import LANGUAGE_NAMES, TEXTS

TEMPLATES = Path(__file__).parent / "templates"
STYLESHEET = (Path(__file__).parent / "static" / "portal.css").read_bytes()

# The region each language is written in when the debtor's country does not say otherwise.
_REGIONS = {"nl": "NL", "en": "GB", "de": "DE", "fr": "FR"}

HEADERS = {
    # No script at all: the pages work without one. Styles only from the portal itself.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; frame-ancestors 'none'",
    # The token is in the URL: no page may pass it on as a referrer.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}


@functools.lru_cache(maxsize=64)
def locale_for(language: str, country: str | None) -> str:
    """The Babel locale of a language as read in a country (nl + BE: nl_BE)."""
    for candidate in (
        f"{language}_{country}" if country else None,
        f"{language}_{_REGIONS[language]}",
    ):
        if candidate is None:
            continue
        try:
            Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
        return candidate
    return language


def checkout_locale(language: str, country: str | None) -> str:
    """The PSP checkout's locale (language_REGION, as Mollie names them)."""
    locale = locale_for(language, country)
    return locale if "_" in locale else f"{language}_{_REGIONS[language]}"


@functools.lru_cache(maxsize=4096)
def _day(day: date, locale: str) -> str:
    return str(format_date(day, format="medium", locale=locale))


class Texts:
    """The phrases of one language, filled in with escaped values: `t("key", amount=…)`."""

    def __init__(self, language: str) -> None:
        self._texts = TEXTS[language]

    def __call__(self, key: str, **values: Any) -> Markup:
        # A phrase missing in a language is said in English rather than failing the page.
        phrase = escape(self._texts.get(key) or TEXTS["en"].get(key, key))
        # Markup.format escapes every value it fills in.
        return phrase.format(**values)


_environment = SandboxedEnvironment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    # The templates are part of the release: no look at their files on every page.
    auto_reload=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(
    name: str,
    language: str,
    *,
    status: int = 200,
    country: str | None = None,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> HTMLResponse:
    """A page of the portal in `language`."""
    locale = locale_for(language, country)
    html = _environment.get_template(name).render(
        lang=language,
        t=Texts(language),
        money=lambda amount, currency: format_money(Decimal(amount), currency, locale),
        day=lambda value: _day(value, locale) if value is not None else "",
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        **values,
    )
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})
