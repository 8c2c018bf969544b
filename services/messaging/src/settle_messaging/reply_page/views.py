"""The public reply page: the link in every message opens a form whose answer lands in the
thread. Minimal on purpose (the debtor portal will take it over); everything shown is escaped,
and a link with an unknown, expired or tampered token shows a refusal and stores nothing."""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from settle_messaging.application.context import Messaging
from settle_messaging.domain.errors import InvalidReplyToken, MalformedInboundMail
from settle_messaging.domain.labels import labels_for
from settle_messaging.reply_page import service

router = APIRouter(tags=["reply page"])

_MAX_FORM_BYTES = 100_000

_TEXT = {
    "nl": ("Uw reactie", "Versturen", "Bedankt, uw bericht is ontvangen.",
           "Deze link is niet (meer) geldig."),
    "en": ("Your reply", "Send", "Thank you, your message has been received.",
           "This link is not valid (any more)."),
    "de": ("Ihre Antwort", "Senden", "Vielen Dank, Ihre Nachricht ist eingegangen.",
           "Dieser Link ist nicht (mehr) gültig."),
    "fr": ("Votre réponse", "Envoyer", "Merci, votre message a bien été reçu.",
           "Ce lien n'est pas (ou plus) valable."),
}  # fmt: skip


def _page(title: str, body: str, language: str, status: int = 200) -> HTMLResponse:
    document = (
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}"
        "textarea{width:100%;min-height:12em}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(
        document,
        status_code=status,
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "form-action 'self'",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
        },
    )


def _refused() -> HTMLResponse:
    text = " / ".join(_TEXT[lang][3] for lang in ("nl", "en"))
    return _page(text, f"<p>{html.escape(text)}</p>", "en", status=404)


@router.get("/reply/{token}", response_class=HTMLResponse, include_in_schema=False)
async def reply_form(token: str, request: Request) -> HTMLResponse:
    """The form a debtor answers in."""
    messaging: Messaging = request.app.state.messaging
    try:
        opened = await service.thread_of(messaging, token)
    except InvalidReplyToken:
        return _refused()
    thread, language = opened.thread, opened.language
    heading, send, _, _ = _TEXT[language]
    subject = labels_for(language).get("subject", "Subject")
    body = (
        f"<h1>{html.escape(heading)}</h1>"
        f"<p>{html.escape(subject)}: {html.escape(thread.subject)}</p>"
        f'<form method="post" action="{html.escape(token)}">'
        f'<textarea name="message" maxlength="20000" required></textarea>'
        f'<p><button type="submit">{html.escape(send)}</button></p></form>'
    )
    return _page(heading, body, language)


@router.post("/reply/{token}", response_class=HTMLResponse, include_in_schema=False)
async def reply_submit(token: str, request: Request) -> HTMLResponse:
    """Store the debtor's answer as an unread message of the thread."""
    messaging: Messaging = request.app.state.messaging
    raw = await request.body()
    if len(raw) > _MAX_FORM_BYTES:
        return _page("413", "<p>Too large.</p>", "en", status=413)
    fields = parse_qs(raw.decode("utf-8", errors="replace"), max_num_fields=5)
    text = (fields.get("message") or [""])[0]
    try:
        stored = await service.answer(messaging, token, text)
    except InvalidReplyToken:
        return _refused()
    except MalformedInboundMail as exc:
        return _page("422", f"<p>{html.escape(str(exc))}</p>", "en", status=422)
    thanks = _TEXT[stored.language][2]
    # What was received, shown back as text: any markup in it is escaped, never rendered.
    echo = html.escape(stored.text).replace("\n", "<br>")
    return _page(
        thanks, f"<p>{html.escape(thanks)}</p><blockquote>{echo}</blockquote>", stored.language
    )
