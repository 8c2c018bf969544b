"""The gateway's refusals in one place: which domain error answers which HTTP status, every
error answered in one shape (RFC 9457 problem details, `application/problem+json`), field by
field in sentences for a request that did not validate, and the OpenAPI document saying so.
Also which errors of the read-model consumer go to the dead-letter topic at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, Field
from pydantic_core.core_schema import ErrorType
from starlette.exceptions import HTTPException

from settle_gateway.domain.access import (
    ActionNotAllowed,
    AdministrationNotVisible,
    CannotDeactivate,
)
from settle_gateway.domain.errors import (
    AdministrationExists,
    CannotInvite,
    InvalidAdministration,
    InvalidConnection,
    InvalidCursor,
    InvalidInvitation,
    InvalidOrganisation,
    InvitationNotNeeded,
    LastAdministrator,
    NotFound,
    OrganisationExists,
)
from settle_gateway.domain.portal import (
    NotPayable,
    PaymentNotFound,
    PaymentRefused,
    PaymentsUnavailable,
    TooManyAttempts,
)
from settle_shared.logs import get_logger
from settle_shared.portal_links import InvalidPortalLink

log = get_logger(__name__)

# First match wins.
STATUS_BY_ERROR: tuple[tuple[type[Exception], int], ...] = (
    (AdministrationNotVisible, 404),
    (NotFound, 404),
    (ActionNotAllowed, 403),
    (InvalidCursor, 422),
    (InvalidAdministration, 422),
    (InvalidOrganisation, 422),
    (InvalidConnection, 422),
    (InvalidInvitation, 404),
    (LastAdministrator, 409),
    (AdministrationExists, 409),
    (OrganisationExists, 409),
    (CannotInvite, 409),
    (InvitationNotNeeded, 409),
    (CannotDeactivate, 409),
    # The debtor portal answers these with a page of its own, with these statuses.
    (InvalidPortalLink, 404),
    (TooManyAttempts, 429),
    (NotPayable, 422),
    (PaymentRefused, 409),
    (PaymentNotFound, 404),
    (PaymentsUnavailable, 503),
)

# The projection refuses no event: an event it cannot use is skipped, not dead-lettered.
DEAD_LETTER_ERRORS: tuple[type[Exception], ...] = ()

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE = "urn:settle:problem:"

# The kind of problem of each status: its `type` (after PROBLEM_TYPE) and `title`, the same
# for every occurrence, so a client can tell the kinds apart by `type` alone.
KIND_BY_STATUS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "The request cannot be read"),
    401: ("unauthenticated", "Sign in first"),
    403: ("forbidden", "Your role may not do this"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "This path does not take this method"),
    409: ("conflict", "Refused in the current state"),
    413: ("too-large", "The request is too large"),
    415: ("unsupported-media-type", "The body is not of a type this path takes"),
    422: ("validation", "The request has mistakes"),
    429: ("too-many-requests", "Too many attempts"),
    500: ("internal", "Something went wrong on our side"),
    502: ("service-unavailable", "A service behind the gateway did not answer; try again"),
    503: ("service-unavailable", "A service behind the gateway did not answer; try again"),
}
# Refusals precise enough to have a kind of their own.
KIND_BY_ERROR: dict[type[Exception], tuple[str, str]] = {
    InvalidCursor: ("invalid-cursor", "The page cursor is not one the gateway handed out"),
    LastAdministrator: ("last-administrator", "An administration keeps an administrator"),
    AdministrationExists: ("administration-exists", "The administration id is taken"),
    OrganisationExists: ("organisation-exists", "The organisation name is taken"),
    InvalidInvitation: ("invalid-invitation", "The invitation is not valid"),
}


class FieldProblem(BaseModel):
    """One field of a refused request and what is wrong with it."""

    location: str = Field(description="body, query, path or header")
    field: str = Field(description='the field, as "steps[0].channels", or "" for the whole body')
    pointer: str | None = Field(
        None, description='a body field as a JSON Pointer fragment ("#/steps/0/channels")'
    )
    detail: str = Field(description="what is wrong, as a sentence a person can act on")


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    type: str = Field(
        description="the kind of problem, `urn:settle:problem:<kind>` (docs/api.md, Errors)"
    )
    title: str = Field(description="the kind in words, the same for every occurrence")
    status: int = Field(description="the HTTP status")
    detail: str = Field(description="this occurrence, in a sentence a person can act on")
    errors: list[FieldProblem] | None = Field(
        None, description="a request that did not validate: each field with its sentence"
    )


def status_of(error: Exception) -> int:
    """The HTTP status answering a domain error (500 when it is not one of them)."""
    return next((status for kind, status in STATUS_BY_ERROR if isinstance(error, kind)), 500)


def problem(
    status: int,
    detail: str,
    *,
    kind: tuple[str, str] | None = None,
    errors: Sequence[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The answer of an error: problem details of `status`, of the kind of the status unless
    another is given."""
    slug, title = kind or KIND_BY_STATUS.get(status) or ("about", HTTPStatus(status).phrase)
    body = Problem(
        type=PROBLEM_TYPE + slug,
        title=title,
        status=status,
        detail=detail,
        errors=list(errors) or None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_MEDIA_TYPE,
    )


# --- a request that did not validate, in sentences -------------------------------------------

LOCATIONS = ("body", "query", "path", "header", "cookie")
# What a field of a pattern must hold, in words (the patterns of the gateway's models).
PATTERN_WORDS: dict[str, str] = {
    r"^[a-z]{2}$": 'a language code of two small letters, such as "nl" or "en"',
    r"^[A-Z]{2}$": 'a country code of two capitals, such as "NL"',
    r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$": "letters, digits, '_', '.', ':' and '-', starting "
    "with a letter or digit, at most 64",
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "an email address such as name@example.com",
}
# Parts of a location that name a member of a union type, not a field.
_TYPE_TAG = re.compile(
    r"^(str|int|float|bool|decimal|date|datetime|time|none|dict|list|.*[\[(].*)$"
)


def field_path(loc: Sequence[str | int]) -> tuple[str, str, str | None]:
    """(location, field, JSON pointer) of a validation error's `loc`: `("body", "steps", 0,
    "channels")` is the body's `steps[0].channels`, `#/steps/0/channels`."""
    location = str(loc[0]) if loc and loc[0] in LOCATIONS else "body"
    parts = [part for part in loc[1 if loc and loc[0] in LOCATIONS else 0 :]]
    kept = [
        part
        for i, part in enumerate(parts)
        if isinstance(part, int) or i == 0 or not _TYPE_TAG.match(part)
    ]
    field = ""
    for part in kept:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    pointer = None
    if location == "body":
        pointer = "#" + "".join(
            "/" + str(part).replace("~", "~0").replace("/", "~1") for part in kept
        )
    return location, field, pointer


def _limit(ctx: Mapping[str, Any], key: str) -> str:
    return str(ctx.get(key, "?"))


def field_sentence(error: Mapping[str, Any]) -> str:
    """What is wrong with one field, as a sentence: from a validation error's type and
    context, never the validation library's own text or links. The message of an error of
    our own (a validator's ValueError, another service's refusal) is already a sentence."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    location, field, _ = field_path(error.get("loc") or ())
    name = field or ("the body" if location == "body" else "the value")
    plural = "" if _limit(ctx, "min_length") == "1" else "s"
    sentences: dict[str, Callable[[], str]] = {
        "missing": lambda: "a JSON body is required" if not field else f"{name} is required",
        "extra_forbidden": lambda: f"{name} is not a field this request takes",
        "json_invalid": lambda: (
            "the body is not valid JSON: check it near character "
            + str((error.get("loc") or ("", "?"))[-1])
        ),
        "string_type": lambda: f"{name} must be text",
        "string_too_short": lambda: (
            f"{name} must not be empty"
            if _limit(ctx, "min_length") == "1"
            else f"{name} must have at least {_limit(ctx, 'min_length')} character{plural}"
        ),
        "string_too_long": lambda: (
            f"{name} must have at most {_limit(ctx, 'max_length')} characters"
        ),
        "string_pattern_mismatch": lambda: (
            f"{name} must be "
            + PATTERN_WORDS.get(str(ctx.get("pattern")), "in the form this field takes")
        ),
        "int_parsing": lambda: f"{name} must be a whole number",
        "int_type": lambda: f"{name} must be a whole number",
        "int_from_float": lambda: f"{name} must be a whole number",
        "float_parsing": lambda: f"{name} must be a number",
        "float_type": lambda: f"{name} must be a number",
        "decimal_parsing": lambda: f'{name} must be an amount such as "1234.56"',
        "decimal_type": lambda: f'{name} must be an amount such as "1234.56"',
        "decimal_max_places": lambda: (
            f"{name} may have at most {_limit(ctx, 'decimal_places')} decimals"
        ),
        "decimal_max_digits": lambda: f"{name} may have at most {_limit(ctx, 'max_digits')} digits",
        "bool_parsing": lambda: f"{name} must be true or false",
        "bool_type": lambda: f"{name} must be true or false",
        "date_parsing": lambda: f'{name} must be a date such as "2025-03-31"',
        "date_type": lambda: f'{name} must be a date such as "2025-03-31"',
        "date_from_datetime_parsing": lambda: f'{name} must be a date such as "2025-03-31"',
        "date_from_datetime_inexact": lambda: f'{name} must be a date such as "2025-03-31"',
        "datetime_parsing": lambda: (
            f'{name} must be a time with its zone, such as "2025-03-31T09:00:00+02:00"'
        ),
        "datetime_type": lambda: (
            f'{name} must be a time with its zone, such as "2025-03-31T09:00:00+02:00"'
        ),
        "datetime_from_date_parsing": lambda: (
            f'{name} must be a time with its zone, such as "2025-03-31T09:00:00+02:00"'
        ),
        "time_parsing": lambda: f'{name} must be a time of day such as "06:00"',
        "time_type": lambda: f'{name} must be a time of day such as "06:00"',
        "literal_error": lambda: f"{name} must be {_limit(ctx, 'expected')}",
        "enum": lambda: f"{name} must be {_limit(ctx, 'expected')}",
        "greater_than": lambda: f"{name} must be more than {_limit(ctx, 'gt')}",
        "greater_than_equal": lambda: f"{name} must be at least {_limit(ctx, 'ge')}",
        "less_than": lambda: f"{name} must be less than {_limit(ctx, 'lt')}",
        "less_than_equal": lambda: f"{name} must be at most {_limit(ctx, 'le')}",
        "too_short": lambda: f"{name} must hold at least {_limit(ctx, 'min_length')} item" + plural,
        "too_long": lambda: f"{name} may hold at most {_limit(ctx, 'max_length')} items",
        "list_type": lambda: f"{name} must be a list",
        "set_type": lambda: f"{name} must be a list",
        "tuple_type": lambda: f"{name} must be a list",
        "dict_type": lambda: f"{name} must be an object",
        "model_type": lambda: f"{name} must be an object",
        "model_attributes_type": lambda: f"{name} must be an object",
        "url_parsing": lambda: f"{name} must be a web address",
        "url_type": lambda: f"{name} must be a web address",
        "uuid_parsing": lambda: f"{name} must be an id of 32 hexadecimal digits",
    }
    if kind in sentences:
        return sentences[kind]()
    message = str(error.get("msg") or "")
    if kind in ("value_error", "assertion_error"):
        # A validator of ours raised it: its text is a sentence (behind the library's prefix).
        own = str(ctx.get("error") or "") or message.partition(", ")[2]
        if own:
            return f"{name}: {own}"
    if message and kind not in _LIBRARY_TYPES:
        return message if field and field in message else f"{name}: {message}"
    return f"{name} has a value this field does not take"


# The error types of the validation library: their messages are its text, not ours.
_LIBRARY_TYPES = frozenset(get_args(ErrorType))


def field_problems(errors: Iterable[Mapping[str, Any]]) -> list[FieldProblem]:
    """One FieldProblem per field (a union type reports each of its members: the first
    says it)."""
    found: dict[tuple[str, str], FieldProblem] = {}
    for error in errors:
        location, field, pointer = field_path(error.get("loc") or ())
        if (location, field) not in found:
            found[(location, field)] = FieldProblem(
                location=location, field=field, pointer=pointer, detail=field_sentence(error)
            )
    return list(found.values())


def summary(problems: Sequence[FieldProblem]) -> str:
    """The `detail` of a refused request: its fields' sentences in one."""
    sentences = [p.detail for p in problems]
    text = "; ".join(sentences[:10])
    if len(sentences) > 10:
        text += f"; and {len(sentences) - 10} more"
    return text[:1].upper() + text[1:] + "." if text else "The request has mistakes."


def _is_field_list(detail: object) -> bool:
    return (
        isinstance(detail, list)
        and bool(detail)
        and all(isinstance(item, dict) and "loc" in item for item in detail)
    )


# --- the handlers ----------------------------------------------------------------------------


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    kind = next((k for cls, k in KIND_BY_ERROR.items() if isinstance(error, cls)), None)
    return problem(status_of(error), str(error), kind=kind)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = field_problems(error.errors())
    return problem(422, summary(problems), errors=problems)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    detail: Any = error.detail
    status = error.status_code
    if _is_field_list(detail):  # another service's 422, field by field
        problems = field_problems(detail)
        return problem(status, summary(problems), errors=problems, headers=error.headers)
    if not isinstance(detail, str) or not detail:
        detail = HTTPStatus(status).description or HTTPStatus(status).phrase
    return problem(status, detail, headers=error.headers)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    # The error itself is logged by the server; the caller learns only that it happened.
    return problem(500, "The gateway failed to answer this request; try again later.")


def install(app: FastAPI) -> None:
    """Answer every error as problem details: the domain errors of STATUS_BY_ERROR with their
    status and message, a request that did not validate field by field, every HTTP error
    (ours, the router's, another service's refusal passed on) and anything unexpected; and
    document it in the OpenAPI document."""
    for kind, _ in STATUS_BY_ERROR:
        app.add_exception_handler(kind, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]


# --- the OpenAPI document --------------------------------------------------------------------

PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def refusals_of(route: Any) -> dict[int, str]:
    """The statuses a route's dependencies may refuse with (a dependency declares them in its
    `refusals` attribute: the caller checks of auth/security.py), with their descriptions."""
    found: dict[int, str] = {}
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        found.update(getattr(dependant.call, "refusals", {}))
        pending.extend(dependant.dependencies)
    return found


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, FieldProblem):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    routes = {
        (route.path_format, method.lower()): route
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
        for method in route.methods or ()
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            route = routes.get((path, method))
            if route is not None:
                for status, description in refusals_of(route).items():
                    responses.setdefault(str(status), {"description": description})
            if "422" in responses:
                responses["422"]["description"] = (
                    "the request has mistakes: `errors` says what, field by field"
                )
            responses.setdefault(
                "default", {"description": "any other error (docs/api.md, Errors)"}
            )
            for status, response in responses.items():
                if status == "default" or int(status) >= 400:
                    response["content"] = PROBLEM_CONTENT
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    app.openapi_schema = document
    return document
