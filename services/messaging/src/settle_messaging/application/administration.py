"""What an administration sets for its messages: its sender profile (how it signs them and
what a hard bounce does) and its own versions of the templates, checked in the sandbox before
they are saved. Only administrations the gateway announced have settings: messaging learns of
one from the gateway's event, and its settings answer from then on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from settle_messaging.application.context import Messaging, load_overrides
from settle_messaging.application.ports import Store
from settle_messaging.domain.errors import InvalidMessageContext, UnknownAdministration
from settle_messaging.domain.model import Channel, TemplateKey, Tone
from settle_messaging.domain.profiles import AdministrationProfile
from settle_messaging.domain.templates import (
    BUILTIN_LANGUAGES,
    RenderedMessage,
    TemplateSource,
    builtin_source,
    builtin_template_exists,
    preview,
    validate_template_source,
)


def _language(language: str) -> str:
    if len(language) != 2 or not language.isalpha() or not language.islower():
        raise InvalidMessageContext(f"language must be a two-letter code, got {language!r}")
    return language


async def learn_administrations(
    store: Store, announced: Sequence[tuple[str, str, datetime]]
) -> None:
    """Record the administrations the gateway announced: (id, name, when it recorded them)."""
    for administration_id, name, at in announced:
        await store.administrations.learn(administration_id, name, at)


async def _require(store: Store, administration_id: str) -> None:
    if not await store.administrations.known(administration_id):
        raise UnknownAdministration(administration_id)


async def preview_template(
    store: Store,
    administration_id: str,
    template_key: str,
    language: str,
    tone: Tone,
    channel: Channel,
) -> RenderedMessage:
    """A template (the administration's own, else the built-in) rendered with sample data."""
    await _require(store, administration_id)
    overrides = await load_overrides(store, administration_id)
    return preview(template_key, language, tone, overrides=overrides, channel=channel)


@dataclass(frozen=True)
class TemplateVersion:
    """A template in one language: whether the administration has its own version of it and
    whether a built-in one exists (the administration's own may be in another language)."""

    template_key: str
    language: str
    customised: bool
    builtin: bool


async def template_versions(store: Store, administration_id: str) -> list[TemplateVersion]:
    """Every template in every language it exists in, built in or the administration's own,
    by key and language."""
    await _require(store, administration_id)
    overrides = await load_overrides(store, administration_id)
    found = {
        (key.value, language)
        for key in TemplateKey
        for language in BUILTIN_LANGUAGES
        if builtin_template_exists(key.value, language)
    }
    found |= set(overrides)
    return [
        TemplateVersion(
            key, language, (key, language) in overrides, builtin_template_exists(key, language)
        )
        for key, language in sorted(found)
    ]


async def template_source(
    store: Store, administration_id: str, template_key: str, language: str
) -> tuple[TemplateSource, bool]:
    """A template's text to edit: the administration's own version, else the built-in one;
    and whether it is the administration's own."""
    await _require(store, administration_id)
    overrides = await load_overrides(store, administration_id)
    own = overrides.get((template_key, _language(language)))
    if own is not None:
        return own, True
    return builtin_source(template_key, language), False


async def save_template(
    messaging: Messaging,
    administration_id: str,
    template_key: str,
    language: str,
    source: TemplateSource,
) -> None:
    """Save the administration's own version of a template (checked in the sandbox first)."""
    validate_template_source(template_key, _language(language), source)
    async with messaging.transaction() as store:
        await _require(store, administration_id)
        await store.templates.save(
            administration_id, template_key, language, source, messaging.now()
        )
    messaging.forget(administration_id)


async def reset_template(
    messaging: Messaging, administration_id: str, template_key: str, language: str
) -> None:
    """Go back to the built-in template."""
    async with messaging.transaction() as store:
        await _require(store, administration_id)
        await store.templates.remove(administration_id, template_key, language)
    messaging.forget(administration_id)


async def profile_of(store: Store, administration_id: str) -> AdministrationProfile:
    """The administration's sender profile: the defaults until it sets one of its own."""
    await _require(store, administration_id)
    profile = await store.profiles.get(administration_id)
    return profile or AdministrationProfile(administration_id)


async def set_profile(messaging: Messaging, profile: AdministrationProfile) -> None:
    """Set how the administration signs its messages and what a hard bounce does."""
    async with messaging.transaction() as store:
        await _require(store, profile.administration_id)
        await store.profiles.replace(profile)
    messaging.forget(profile.administration_id)
