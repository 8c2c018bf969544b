"""The reply links of mails sent before the debtor portal took over the reply page
(`/reply/<token>`): a genuine one leads on to the portal's reply page of the same thread; a
link with an unknown, expired or tampered token shows a refusal."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from settle_messaging.application.context import Messaging
from settle_messaging.domain.errors import InvalidReplyToken
from settle_messaging.reply_page import service

router = APIRouter(tags=["reply page"])

_REFUSED = "Deze link is niet (meer) geldig. / This link is not valid (any more)."


def _refused() -> HTMLResponse:
    text = html.escape(_REFUSED)
    return HTMLResponse(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{text}</title></head>'
        f"<body><p>{text}</p></body></html>",
        status_code=404,
        headers={
            "Content-Security-Policy": "default-src 'none'",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
        },
    )


@router.get("/reply/{token}", include_in_schema=False)
async def reply_link(token: str, request: Request) -> Response:
    """On to the portal's reply page of the link's thread."""
    messaging: Messaging = request.app.state.messaging
    try:
        target = await service.portal_reply_page(messaging, token)
    except InvalidReplyToken:
        return _refused()
    return RedirectResponse(target, status_code=303, headers={"Referrer-Policy": "no-referrer"})
