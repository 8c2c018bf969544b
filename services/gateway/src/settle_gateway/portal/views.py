"""The debtor portal's pages under /portal, reached by the signed link in a reminder:

    GET  /portal/{token}                 the debtor's open invoices, the reminders, the payments
    POST /portal/{token}/pay             pay the chosen invoices: on to the PSP's checkout
    GET  /portal/{token}/return/{key}    where the PSP sends the debtor back: the outcome
    GET  /portal/{token}/reply           write to the administration
    POST /portal/{token}/reply           the message, to the reminder's thread
    GET  /portal/{token}/plan            propose a payment plan
    POST /portal/{token}/plan            the proposal, to dunning (a person approves it)
    GET  /portal/{token}/plans/{id}/instalments/{n}        an instalment of the debtor's plan
    POST /portal/{token}/plans/{id}/instalments/{n}/pay    pay what is left of it

A link that is not (or no longer) valid gets one page, whatever was wrong with it, and counts
against the client address (too many: 429 for a while). Forms carry a CSRF token bound to a
cookie of the browser's portal session and to the link. The pages are HTML rendered here and
work without any script."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from settle_gateway.adapters.web import Context, correlation
from settle_gateway.application.context import GatewayContext
from settle_gateway.domain.portal import (
    LANGUAGES,
    NotPayable,
    PaymentNotFound,
    PaymentRefused,
    PaymentState,
    PaymentsUnavailable,
    TooManyAttempts,
    choose_language,
    csrf_matches,
    csrf_token,
)
from settle_gateway.errors import status_of
from settle_gateway.portal import service
from settle_gateway.portal.models import OfferLine, PortalDebtor
from settle_gateway.portal.pages import STYLESHEET, checkout_locale, render
from settle_shared.portal_links import InvalidPortalLink, PortalLink

router = APIRouter(prefix="/portal", include_in_schema=False)

SESSION_COOKIE = "settle_portal"
MAX_REPLY_CHARS = 20_000
_SESSION = re.compile(r"[A-Za-z0-9_-]{32,64}\Z")
_FORM_ID = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")
# The sentence of each refusal of a pay click (domain/portal.NotPayable).
_NOT_PAYABLE = {
    "none_chosen": "none_chosen",
    "not_yours": "not_yours",
    "not_open": "not_open",
    "paid_online": "already_paid_online",
    "currencies": "currencies",
}


@router.get("/static/portal.css")
async def stylesheet() -> Response:
    return Response(
        STYLESHEET,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _language(request: Request, debtor: PortalDebtor | None, asked: str | None = None) -> str:
    return choose_language(
        asked or request.query_params.get("lang"),
        debtor.language if debtor else None,
        request.headers.get("accept-language"),
    )


def _csrf_key(context: GatewayContext) -> bytes:
    # A key of its own, derived from the link secret: a CSRF token never doubles as a link.
    secret = context.settings.portal_link_secrets()[0]
    return hmac.new(secret, b"settle/portal-csrf-key/v1", hashlib.sha256).digest()


class _Session:
    """The browser's portal session: a random cookie the CSRF tokens are bound to."""

    def __init__(self, request: Request, context: GatewayContext) -> None:
        sent = request.cookies.get(SESSION_COOKIE)
        self.known = sent if sent and _SESSION.match(sent) else None
        self.value = self.known or secrets.token_urlsafe(32)
        public = context.settings.portal_public_url or ""
        self.secure = request.url.scheme == "https" or public.startswith("https:")

    def keep(self, response: Response) -> Response:
        if self.known is None:
            response.set_cookie(
                SESSION_COOKIE,
                self.value,
                path="/portal",
                httponly=True,
                samesite="lax",
                secure=self.secure,
            )
        return response


def _refused(request: Request, status: int = 404) -> Response:
    """The one page of a link that does not open, whatever was wrong with it."""
    language = _language(request, None)
    return render("message.html", language, status=status, title="invalid_title", lines=["invalid"])


async def _opened(request: Request, context: GatewayContext, token: str) -> PortalLink | Response:
    try:
        return await service.open_link(context, context.portal_limiter, token, _address(request))
    except TooManyAttempts as limited:
        minutes = max(1, (limited.retry_after + 59) // 60)
        return render(
            "message.html",
            _language(request, None),
            status=status_of(limited),
            headers={"Retry-After": str(limited.retry_after)},
            title="too_many_title",
            lines=["too_many"],
            values={"minutes": minutes},
        )
    except InvalidPortalLink as refusal:
        return _refused(request, status_of(refusal))


async def _form(request: Request) -> FormData:
    try:
        return await request.form(max_files=0, max_fields=1_000)
    except Exception:  # a body that is no form at all: as good as none
        return FormData()


def _field(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _base(request: Request, context: GatewayContext) -> str:
    """The gateway's public URL, which the PSP sends the debtor back to."""
    configured = context.settings.portal_public_url
    return (configured or str(request.base_url)).rstrip("/")


async def _invoices_page(
    request: Request,
    context: GatewayContext,
    link: PortalLink,
    token: str,
    *,
    asked: str | None = None,
    error: str | None = None,
    chosen: list[str] | None = None,
    status: int = 200,
) -> Response:
    async with context.reads() as session:
        view = await service.debtor_page(session, link, context.settings.time_zone, chosen)
    if view is None:
        return _refused(request)
    session_ = _Session(request, context)
    language = _language(request, view.debtor, asked)
    return session_.keep(
        render(
            "invoices.html",
            language,
            status=status,
            country=view.debtor.country,
            view=view,
            base=f"/portal/{token}",
            csrf=csrf_token(_csrf_key(context), session_.value, token),
            form_id=secrets.token_urlsafe(24),
            error=error,
        )
    )


async def _debtor(context: GatewayContext, link: PortalLink) -> PortalDebtor | None:
    async with context.reads() as session:
        return await service.debtor_of(session, link)


def _expired_form(request: Request, language: str) -> Response:
    return render(
        "message.html", language, status=403, title="expired_form_title", lines=["expired_form"]
    )


def _checkout(url: str | None) -> str | None:
    """The PSP's checkout, if it is one a browser may be sent to."""
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("https", "http") and parts.netloc else None


def _payments_unavailable(language: str, refusal: PaymentsUnavailable, token: str) -> Response:
    """The payments service or the PSP cannot take a payment now: try again in a minute."""
    return render(
        "message.html",
        language,
        status=status_of(refusal),
        headers={"Retry-After": "60"},
        title="unavailable_title",
        lines=["unavailable"],
        back=f"/portal/{token}",
    )


def _to_checkout_or_outcome(
    payment: PaymentState, token: str, key: str, asked: str | None
) -> Response:
    """On to the PSP's checkout while the payment is open; otherwise (paid already, or no
    checkout) to the outcome page, which says what it is."""
    checkout = _checkout(payment.checkout_url)
    if payment.status == "open" and checkout is not None:
        return RedirectResponse(checkout, status_code=303)
    suffix = f"?lang={asked}" if asked else ""
    return RedirectResponse(f"/portal/{token}/return/{key}{suffix}", status_code=303)


@router.get("/{token}")
async def invoices_page(token: str, request: Request, context: Context) -> Response:
    """The debtor's open invoices (the reminder's chosen), the reminders sent and the
    payments made, with the form to pay."""
    opened = await _opened(request, context, token)
    if isinstance(opened, Response):
        return opened
    return await _invoices_page(request, context, opened, token)


@router.post("/{token}/pay")
async def pay(token: str, request: Request, context: Context) -> Response:
    """Pay the chosen invoices: the payments service makes the payment (for the open amount
    it knows, whatever the form says) and the debtor goes on to the PSP's checkout."""
    opened = await _opened(request, context, token)
    if isinstance(opened, Response):
        return opened
    link = opened
    form = await _form(request)
    asked = _field(form, "lang")
    asked = asked if asked in LANGUAGES else None
    session_ = _Session(request, context)
    form_id = _field(form, "form_id") or ""
    if not csrf_matches(
        _csrf_key(context), session_.known, token, _field(form, "csrf")
    ) or not _FORM_ID.match(form_id):
        return _expired_form(request, _language(request, await _debtor(context, link), asked))
    chosen = [value for value in form.getlist("invoice") if isinstance(value, str)]
    base = _base(request, context)
    debtor = await _debtor(context, link)
    language = _language(request, debtor, asked)
    try:
        payment, key = await service.pay(
            context,
            link,
            chosen,
            form_id,
            lambda key: f"{base}/portal/{token}/return/{key}",
            checkout_locale(language, debtor.country if debtor else None),
        )
    except NotPayable as refusal:
        return await _invoices_page(
            request, context, link, token, asked=asked, error=_NOT_PAYABLE[refusal.reason],
            chosen=chosen, status=status_of(refusal),
        )  # fmt: skip
    except (PaymentRefused, PaymentNotFound):
        # Not payable any more at the payments service: the list as it is now, and why.
        return await _invoices_page(
            request, context, link, token, asked=asked, error="refused", status=409
        )
    except PaymentsUnavailable as refusal:
        return _payments_unavailable(language, refusal, token)
    return _to_checkout_or_outcome(payment, token, key, asked)


@router.get("/{token}/return/{key}")
async def outcome(token: str, key: str, request: Request, context: Context) -> Response:
    """Where the PSP sends the debtor back: the payment's status, asked of the payments
    service once, in a sentence."""
    opened = await _opened(request, context, token)
    if isinstance(opened, Response):
        return opened
    debtor = await _debtor(context, opened)
    if debtor is None:
        return _refused(request)
    language = _language(request, debtor)
    back = f"/portal/{token}"
    try:
        payment = await service.payment_of(context, opened, key)
    except PaymentNotFound as refusal:
        return render(
            "message.html",
            language,
            status=status_of(refusal),
            title="payment_not_found",
            lines=[],
            back=back,
        )
    except PaymentsUnavailable as refusal:
        return render(
            "message.html",
            language,
            status=status_of(refusal),
            headers={"Retry-After": "30"},
            title="outcome_unknown_title",
            lines=["outcome_unknown"],
            back=back,
            again=f"{back}/return/{key}",
        )
    return render(
        "outcome.html",
        language,
        country=debtor.country,
        payment=payment,
        back=back,
        again=f"{back}/return/{key}",
    )


async def _reply_page(
    request: Request,
    context: GatewayContext,
    link: PortalLink,
    token: str,
    *,
    asked: str | None = None,
    error: str | None = None,
    sent: str | None = None,
    text: str = "",
    status: int = 200,
) -> Response:
    debtor = await _debtor(context, link)
    if debtor is None:
        return _refused(request)
    session_ = _Session(request, context)
    return session_.keep(
        render(
            "reply.html",
            _language(request, debtor, asked),
            status=status,
            debtor=debtor,
            can_reply=link.thread_id is not None,
            base=f"/portal/{token}",
            csrf=csrf_token(_csrf_key(context), session_.value, token),
            error=error,
            sent=sent,
            text=text,
        )
    )


@router.get("/{token}/reply")
async def reply_form(token: str, request: Request, context: Context) -> Response:
    """The form a debtor writes to the administration in (the reply link of a reminder)."""
    opened = await _opened(request, context, token)
    if isinstance(opened, Response):
        return opened
    return await _reply_page(request, context, opened, token)


@router.post("/{token}/reply")
async def reply(token: str, request: Request, context: Context) -> Response:
    """The debtor's message: an unread reply in the thread of the reminder."""
    opened = await _opened(request, context, token)
    if isinstance(opened, Response):
        return opened
    form = await _form(request)
    asked = _field(form, "lang")
    asked = asked if asked in LANGUAGES else None
    session_ = _Session(request, context)
    if not csrf_matches(_csrf_key(context), session_.known, token, _field(form, "csrf")):
        return _expired_form(request, _language(request, await _debtor(context, opened), asked))
    text = (_field(form, "message") or "").replace("\r\n", "\n").strip()

    async def again(error: str, status: int) -> Response:
        return await _reply_page(
            request, context, opened, token, asked=asked, error=error, text=text, status=status
        )

    if opened.thread_id is None:
        return await again("reply_not_possible", 404)
    if not text:
        return await again("reply_empty", 422)
    if len(text) > MAX_REPLY_CHARS:
        return await again("reply_too_long", 422)
    try:
        await service.reply(context, opened, text, correlation(request))
    except HTTPException as refused:
        if refused.status_code == 404:
            return await again("reply_not_possible", 404)
        return await again("reply_failed", 503)
    return await _reply_page(request, context, opened, token, asked=asked, sent=text)


# --- payment plans ----------------------------------------------------------------------------


async def _plan_page(
    request: Request,
    context: GatewayContext,
    link: PortalLink,
    token: str,
    *,
    asked: str | None = None,
    error: str | None = None,
    entered: Mapping[str, Any] | None = None,
    status: int = 200,
) -> Response:
    async with context.reads() as session:
        view = await service.debtor_page(session, link, context.settings.time_zone)
    if view is None:
        return _refused(request)
    offer = await service.plan_offer(
        context, link, [line.invoice for line in view.invoices], correlation(request)
    )
    session_ = _Session(request, context)
    return session_.keep(
        render(
            "plan.html",
            _language(request, view.debtor, asked),
            status=status,
            country=view.debtor.country,
            view=view,
            base=f"/portal/{token}",
            csrf=csrf_token(_csrf_key(context), session_.value, token),
            error=error,
            entered={"invoices": None, "instalments": "", "first_date": "", "reason": ""}
            | dict(entered or {}),
            offer=offer,
            most=_most_instalments(offer),
        )
    )


def _most_instalments(offer: OfferLine | None) -> int:
    """How many monthly instalments the form lets a debtor propose: an offer may give more."""
    return max(service.MAX_PROPOSED_INSTALMENTS, offer.max_instalments if offer else 0)


@router.get("/{token}/plan")
async def plan_form(token: str, request: Request, context: Context) -> Response:
    """The form in which a debtor proposes a payment plan: the invoices, one date or a number
    of monthly instalments, and a reason, with the administration's offer for what the debtor
    has open. A plan within the offer starts at once; a person approves any other."""
    opened = await _opened(request, context, token)
    if isinstance(opened, Response):
        return opened
    return await _plan_page(request, context, opened, token)


@router.post("/{token}/plan")
async def propose_plan(token: str, request: Request, context: Context) -> Response:
    """The debtor's proposal, to dunning for the link's debtor: within the administration's
    offer the plan starts at once, otherwise the invoices wait for a person's decision (a
    tampered form outside the offer is one more proposal)."""
    opened = await _opened(request, context, token)
    if isinstance(opened, Response):
        return opened
    form = await _form(request)
    asked = _field(form, "lang")
    asked = asked if asked in LANGUAGES else None
    session_ = _Session(request, context)
    if not csrf_matches(_csrf_key(context), session_.known, token, _field(form, "csrf")):
        return _expired_form(request, _language(request, await _debtor(context, opened), asked))
    chosen = [value for value in form.getlist("invoice") if isinstance(value, str)]
    reason = (_field(form, "reason") or "").replace("\r\n", "\n").strip()
    count, first = _field(form, "instalments") or "", _field(form, "first_date") or ""
    entered = {"invoices": chosen, "instalments": count, "first_date": first, "reason": reason}

    async def again(error: str, status: int) -> Response:
        return await _plan_page(
            request, context, opened, token, asked=asked, error=error, entered=entered,
            status=status,
        )  # fmt: skip

    try:
        instalments = int(count)
        first_date = date.fromisoformat(first)
    except ValueError:
        return await again("plan_check", 422)
    if not chosen:
        return await again("plan_none_chosen", 422)
    if instalments > service.MAX_PROPOSED_INSTALMENTS:
        async with context.reads() as session:
            view = await service.debtor_page(session, opened, context.settings.time_zone)
        invoices = [line.invoice for line in view.invoices] if view is not None else []
        offer = await service.plan_offer(context, opened, invoices, correlation(request))
        most = _most_instalments(offer)
    else:
        most = service.MAX_PROPOSED_INSTALMENTS
    if not 1 <= instalments <= most or len(reason) > 1000:
        return await again("plan_check", 422)
    try:
        plan = await service.propose_plan(
            context, opened, chosen, instalments, first_date, reason, correlation(request)
        )
    except HTTPException as refused:
        if refused.status_code == 422:
            return await again("plan_check", 422)
        if refused.status_code in (404, 409):
            return await again("plan_not_possible", 409)
        return await again("plan_failed", 503)
    debtor = await _debtor(context, opened)
    started = plan.get("status") == "active"  # within the administration's offer
    return render(
        "message.html",
        _language(request, debtor, asked),
        title="plan_started_title" if started else "plan_thanks_title",
        lines=["plan_started" if started else "plan_thanks"],
        back=f"/portal/{token}",
    )


@router.get("/{token}/plans/{plan_id}/instalments/{number}")
async def instalment_page(
    token: str, plan_id: str, number: int, request: Request, context: Context
) -> Response:
    """An instalment of the debtor's payment plan (the link in its reminder): the schedule
    and, while something is left of the instalment, the button that pays it."""
    opened = await _opened(request, context, token)
    if isinstance(opened, Response):
        return opened
    return await _instalment_page(request, context, opened, token, plan_id, number)


async def _instalment_page(
    request: Request,
    context: GatewayContext,
    link: PortalLink,
    token: str,
    plan_id: str,
    number: int,
    *,
    asked: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    async with context.reads() as session:
        plan = await service.plan_of(session, link, plan_id)
        debtor = await service.debtor_of(session, link)
    instalment = next(
        (i for i in (plan or {}).get("instalments", []) if i["number"] == number), None
    )
    if plan is None or debtor is None or instalment is None:
        return _refused(request)
    session_ = _Session(request, context)
    left = Decimal(instalment["amount"]) - Decimal(instalment["paid_amount"])
    return session_.keep(
        render(
            "instalment.html",
            _language(request, debtor, asked),
            status=status,
            country=debtor.country,
            debtor=debtor,
            plan=plan,
            schedule=[
                {**i, "due_on": date.fromisoformat(i["due_on"])} for i in plan["instalments"]
            ],
            instalment={**instalment, "due_on": date.fromisoformat(instalment["due_on"])},
            left=left,
            payable=plan["status"] == "active" and left > 0,
            base=f"/portal/{token}",
            here=f"/portal/{token}/plans/{plan_id}/instalments/{number}",
            csrf=csrf_token(_csrf_key(context), session_.value, token),
            form_id=secrets.token_urlsafe(24),
            error=error,
        )
    )


@router.post("/{token}/plans/{plan_id}/instalments/{number}/pay")
async def pay_instalment(
    token: str, plan_id: str, number: int, request: Request, context: Context
) -> Response:
    """Pay what is left of an instalment: the payments service takes the amount from the
    plan, and the debtor goes on to the PSP's checkout."""
    opened = await _opened(request, context, token)
    if isinstance(opened, Response):
        return opened
    form = await _form(request)
    asked = _field(form, "lang")
    asked = asked if asked in LANGUAGES else None
    session_ = _Session(request, context)
    form_id = _field(form, "form_id") or ""
    debtor = await _debtor(context, opened)
    language = _language(request, debtor, asked)
    if not csrf_matches(
        _csrf_key(context), session_.known, token, _field(form, "csrf")
    ) or not _FORM_ID.match(form_id):
        return _expired_form(request, language)
    async with context.reads() as session:
        if await service.plan_of(session, opened, plan_id) is None:
            return _refused(request)
    base = _base(request, context)
    try:
        payment, key = await service.pay_instalment(
            context,
            opened,
            plan_id,
            number,
            form_id,
            lambda key: f"{base}/portal/{token}/return/{key}",
            checkout_locale(language, debtor.country if debtor else None),
        )
    except (PaymentRefused, PaymentNotFound):
        return await _instalment_page(
            request, context, opened, token, plan_id, number, asked=asked,
            error="instalment_refused", status=409,
        )  # fmt: skip
    except PaymentsUnavailable as refusal:
        return _payments_unavailable(language, refusal, token)
    return _to_checkout_or_outcome(payment, token, key, asked)
