"""The web app at /, beside /api/v1: the built files, index.html for the app's own routes (the
browser's address is a client route such as /a/demo/invoices), and a clear page when the app
has not been built."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from settle_gateway.webapp.service import RESERVED_PREFIXES, WebApp

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Settle</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>The web app is not built</h1>
<p>This gateway serves the web app from <code>{folder}</code>, which holds no build.
Run <code>make web</code> (<code>make run</code> does it too) in the Settle checkout, or point
<code>SETTLE_GATEWAY_WEB_DIR</code> at a built <code>web/dist</code>.</p>
<p>The API answers meanwhile at <a href="/api/v1/me">/api/v1</a>; its contract is
<a href="/openapi.json">/openapi.json</a>.</p>
</body></html>
"""

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def add_web_app(app: FastAPI, web: WebApp) -> None:
    """Serve the web app for every path no other route took; add it after every other route."""

    async def serve(path: str, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            raise HTTPException(404, "Not Found")
        found = web.file_for(path)
        if found is None:
            if not web.built and not path.startswith(RESERVED_PREFIXES):
                return HTMLResponse(NOT_BUILT.format(folder=web.folder), status_code=503)
            raise HTTPException(404, "Not Found")
        headers = {
            "Cache-Control": "public, max-age=31536000, immutable"
            if found.immutable
            else "no-cache",
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
        }
        body = found.content
        if found.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            body = found.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, headers=headers, media_type=found.media_type)

    app.add_api_route("/{path:path}", serve, methods=ALL_METHODS, include_in_schema=False)
