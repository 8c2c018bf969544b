"""The shapes of message templates: their versions per language, their text and previews."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

TemplateKey = Annotated[
    str,
    Path(
        pattern=r"^[a-z_]{1,64}$",
        description="friendly_reminder, second_reminder, final_reminder, fourteen_day_letter, "
        "payment_plan_confirmation, payment_plan_instalment_reminder or free_message",
    ),
]
Language = Annotated[str, Path(pattern=r"^[a-z]{2}$", description="nl, en, de, fr, …")]
Tone = Literal["formal", "informal"]
Channel = Literal["email", "letter"]


class TemplateVersionOut(BaseModel):
    template_key: str
    language: str
    customised: bool = Field(description="the administration has its own version")
    builtin: bool = Field(description="a built-in version exists in this language")


class TemplateIn(BaseModel):
    """An administration's own version of a template: Jinja2 in a sandbox, checked before it
    is saved (a mistake or a name that reaches Python's internals is refused)."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=2_000)
    text: str = Field(min_length=1, max_length=100_000)
    html: str | None = Field(
        None,
        max_length=200_000,
        description="left out: the HTML part is made from the text in the standard layout",
    )


class TemplateOut(BaseModel):
    subject: str
    text: str
    html: str | None
    customised: bool = Field(description="the administration's own version (else the built-in)")


class PreviewOut(BaseModel):
    """A template rendered with sample data, as a debtor would see it."""

    language: str = Field(description="the language it was rendered in")
    subject: str
    text: str
    html: str = Field(description="the HTML part; show it sandboxed (an iframe without scripts)")
    from_override: bool = Field(description="the administration's own version was used")
