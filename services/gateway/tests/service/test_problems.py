"""Every error of the gateway is RFC 9457 problem details, with field-level sentences for a
request that did not validate, and the OpenAPI document says so."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import ADM, Gateway

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"
PROBLEM = "application/problem+json"


def problem_of(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    """The problem details of a refusal, checked for the shape every one has."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:settle:problem:{kind}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    # The validation library's own wording and links never reach a person.
    for library_text in ("Input should", "pydantic", "errors.pydantic.dev", "Value error,"):
        assert library_text not in response.text
    return body


async def test_a_request_with_mistakes_is_told_field_by_field(gateway: Gateway) -> None:
    refused = await gateway.post(
        "/api/v1/administrations", json={"id": "a/b", "name": "", "colour": "red"}
    )
    body = problem_of(refused, 422, "validation")
    assert body["title"] == "The request has mistakes"
    by_field = {(e["location"], e["field"]): e for e in body["errors"]}
    assert set(by_field) == {("body", "id"), ("body", "name"), ("body", "colour")}
    assert by_field[("body", "id")]["detail"] == (
        "id must be letters, digits, '_', '.', ':' and '-', starting with a letter or digit, "
        "at most 64"
    )
    assert by_field[("body", "id")]["pointer"] == "#/id"
    assert by_field[("body", "name")]["detail"] == "name must not be empty"
    assert by_field[("body", "colour")]["detail"] == "colour is not a field this request takes"
    assert "name must not be empty" in body["detail"]


async def test_query_mistakes_and_bodies_that_are_no_json_are_told_too(gateway: Gateway) -> None:
    query = await gateway.get(
        f"{API}/invoices", params={"status": "late", "limit": "0", "due_from": "31-03-2025"}
    )
    body = problem_of(query, 422, "validation")
    assert {(e["location"], e["field"]): e["detail"] for e in body["errors"]} == {
        ("query", "status"): "status must be 'open', 'settled' or 'all'",
        ("query", "limit"): "limit must be at least 1",
        ("query", "due_from"): 'due_from must be a date such as "2025-03-31"',
    }
    assert all("pointer" not in e for e in body["errors"])
    broken = await gateway.client.post(
        "/api/v1/administrations",
        content=b'{"id": "x",',
        headers={**await gateway.auth(), "Content-Type": "application/json"},
    )
    assert problem_of(broken, 422, "validation")["detail"].startswith("The body is not valid JSON")
    missing = await gateway.post(f"{API}/pause")
    assert problem_of(missing, 422, "validation")["errors"][0]["detail"] == (
        "a JSON body is required"
    )


async def test_refusals_have_a_kind_each(gateway: Gateway) -> None:
    anonymous = await gateway.client.get("/api/v1/me", headers={"Authorization": ""})
    problem_of(anonymous, 401, "unauthenticated")
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    problem_of(await gateway.get(f"{API}/users", "sam@a.example"), 403, "forbidden")
    problem_of(await gateway.get(f"{API}/invoices/nope"), 404, "not-found")
    problem_of(await gateway.get("/api/v1/administrations/adm-b/dashboard"), 404, "not-found")
    problem_of(await gateway.get("/api/v1/no-such-path"), 404, "not-found")
    cursor = await gateway.get(f"{API}/invoices", params={"cursor": "not-a-cursor"})
    problem_of(cursor, 422, "invalid-cursor")
    taken = await gateway.post("/api/v1/administrations", json={"id": ADM, "name": "Again"})
    assert problem_of(taken, 409, "administration-exists")["detail"] == (
        f"administration {ADM} exists already; choose another id"
    )
    alice = (await gateway.get("/api/v1/me")).json()["subject"]
    last = await gateway.put(f"{API}/users/{alice}", json={"role": "standard"})
    problem_of(last, 409, "last-administrator")


async def test_a_service_that_does_not_answer_is_a_problem_too(gateway: Gateway) -> None:
    upstreams = gateway.harness.runtime.app.state.gateway.upstreams
    await upstreams.clients["dunning"].aclose()
    upstreams.clients["dunning"] = httpx.AsyncClient(base_url="http://127.0.0.1:9")
    body = problem_of(await gateway.get(f"{API}/flows"), 502, "service-unavailable")
    assert body["detail"] == "the dunning service does not answer"


async def test_the_openapi_document_describes_every_error_as_problem_details(
    gateway: Gateway,
) -> None:
    document = (await gateway.client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert {"type", "title", "status", "detail", "errors"} <= set(schemas["Problem"]["properties"])
    assert "HTTPValidationError" not in schemas
    reference = {"$ref": "#/components/schemas/Problem"}
    for path, operations in document["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "default" in responses, (method, path)
            for status, response in responses.items():
                if status == "default" or int(status) >= 400:
                    assert response["content"] == {PROBLEM: {"schema": reference}}, (
                        method,
                        path,
                        status,
                    )
            if "{administration_id}" in path:
                assert "404" in responses, (method, path)
            if not path.startswith("/api/v1/auth/"):
                assert "401" in responses, (method, path)
    pause = document["paths"]["/api/v1/administrations/{administration_id}/pause"]["post"]
    assert "403" in pause["responses"]
    dashboard = document["paths"]["/api/v1/administrations/{administration_id}/dashboard"]["get"]
    assert "403" not in dashboard["responses"]  # every role may read
