"""Swagger UI at /docs on every service, its files served by the service itself from the
swagger-ui-py package, so the page works without reaching a CDN (FastAPI's own /docs loads
them from one)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"


def swagger_ui_folder() -> Path:
    """The folder of Swagger UI's built files inside the swagger-ui-py package."""
    return Path(str(files("swagger_ui") / "static"))


def add_offline_docs(app: FastAPI) -> None:
    """Swagger UI of the app's OpenAPI document at /docs, assets at /docs/assets."""
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_folder()), name="swagger-ui")

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url="data:,",
        )

    app.add_api_route(DOCS_PATH, docs, methods=["GET"], include_in_schema=False)
