"""Where an own partner's dossier gets its files: the texts of the debtor's messages from
messaging's internal API (with the shared service token), the invoices' PDFs from their
links."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlsplit

import httpx

from settle_collection.application.ports import MessageText
from settle_collection.settings import CollectionSettings
from settle_shared.logs import get_logger

log = get_logger(__name__)

PAGE = 200
MAX_PDF_BYTES = 20 * 1024 * 1024


class HttpDossierSources:
    def __init__(self, settings: CollectionSettings) -> None:
        token = settings.service_token.get_secret_value()
        self.messaging = httpx.AsyncClient(
            base_url=settings.messaging_url,
            timeout=settings.dossier_fetch_timeout_s,
            headers={"Authorization": f"Bearer {token}"},
        )
        self.web = httpx.AsyncClient(
            timeout=settings.dossier_fetch_timeout_s, follow_redirects=True
        )

    async def message_texts(self, administration_id: str, debtor_id: str) -> list[MessageText]:
        texts: list[MessageText] = []
        cursor: str | None = None
        path = f"/internal/v1/administrations/{quote(administration_id, safe='')}/messages"
        while True:
            params = {"debtor_id": debtor_id, "limit": str(PAGE)}
            if cursor:
                params["cursor"] = cursor
            answer = await self.messaging.get(path, params=params)
            answer.raise_for_status()
            page = answer.json()
            for item in page["items"]:
                texts.append(
                    MessageText(
                        message_id=item["message_id"],
                        subject=item["subject"],
                        body=item["body_text"],
                        channel=item["channel"],
                        direction=item["direction"],
                        at=datetime.fromisoformat(item["sent_at"] or item["created_at"]),
                    )
                )
            cursor = page.get("next_cursor")
            if not cursor:
                return texts

    async def invoice_pdf(self, url: str) -> bytes | None:
        if urlsplit(url).scheme not in ("http", "https"):
            return None
        try:
            answer = await self.web.get(url)
        except httpx.HTTPError as exc:
            log.info("invoice PDF not fetched", url=url, error=type(exc).__name__)
            return None
        if answer.status_code != 200 or len(answer.content) > MAX_PDF_BYTES:
            return None
        return answer.content

    async def close(self) -> None:
        await self.messaging.aclose()
        await self.web.aclose()
