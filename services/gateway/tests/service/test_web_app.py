"""The gateway serves the built web app at / beside /api/v1: the files, the app's page for its
own routes, and a page saying how to build it when it is not built."""

import gzip

import pytest

from settle_gateway.app import SERVICE
from settle_shared.testing.service import running_service

pytestmark = pytest.mark.service

INDEX = "<!doctype html><html><body><div id=root></div><script src=/assets/app-1a2b.js>"
SCRIPT = "console.log('settle');" * 200


@pytest.fixture
def built(tmp_path):
    folder = tmp_path / "dist"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text(INDEX)
    (folder / "assets" / "app-1a2b.js").write_text(SCRIPT)
    return folder


async def test_the_app_and_its_client_routes_are_served_beside_the_api(sqlite_database, built):
    async with running_service(SERVICE, sqlite_database, web_dir=built) as gateway:
        client = gateway.client
        for path in ("/", "/a/demo/invoices", "/a/demo/invoices/inv-1?phase=sent"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert page.text == INDEX
            assert page.headers["content-type"].startswith("text/html")
            assert page.headers["cache-control"] == "no-cache"  # a new build shows at once
        script = await client.get("/assets/app-1a2b.js", headers={"Accept-Encoding": "gzip"})
        assert script.text == SCRIPT  # httpx unpacked what went over the wire gzipped
        assert script.headers["content-encoding"] == "gzip"
        assert "immutable" in script.headers["cache-control"]
        assert "javascript" in script.headers["content-type"]
        raw = await client.get("/assets/app-1a2b.js", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in raw.headers and raw.text == SCRIPT
        assert len(gzip.compress(SCRIPT.encode())) < len(SCRIPT)

        # The API and the gateway's own pages keep their answers.
        assert (await client.get("/health/live")).json() == {"status": "ok"}
        assert (await client.get("/api/v1/me")).status_code == 401
        for path in ("/api/v1/nothing-here", "/assets/app-0000.js"):
            assert (await client.get(path)).status_code == 404, path
        outside = await client.get("/%2e%2e/%2e%2e/%2e%2e/etc/passwd")
        assert outside.text == INDEX  # nothing outside the build folder is served
        assert (await client.post("/api/v1/nothing-here")).status_code == 404
        assert (await client.get("/openapi.json")).json()["info"]["title"] == "Settle gateway"


async def test_an_unbuilt_app_says_how_to_build_it(sqlite_database, tmp_path):
    async with running_service(SERVICE, sqlite_database, web_dir=tmp_path / "none") as gateway:
        page = await gateway.client.get("/")
        assert page.status_code == 503
        assert "make web" in page.text and "SETTLE_GATEWAY_WEB_DIR" in page.text
        assert (await gateway.client.get("/a/demo/dashboard")).status_code == 503
        assert (await gateway.client.get("/health/live")).status_code == 200


async def test_the_api_docs_page_works_offline(sqlite_database, built):
    async with running_service(SERVICE, sqlite_database, web_dir=built) as gateway:
        page = await gateway.client.get("/docs")
        assert page.status_code == 200
        assert "/docs/assets/swagger-ui-bundle.js" in page.text
        assert "cdn" not in page.text.lower() and "https://" not in page.text
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
            served = await gateway.client.get(f"/docs/assets/{asset}")
            assert served.status_code == 200 and len(served.content) > 10_000, asset
        assert (await gateway.client.get("/redoc")).text == INDEX  # no CDN page there either
