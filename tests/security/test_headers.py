"""Security headers (app/security/headers.py) on every kind of answer: pages, API JSON, static
files, /docs, 404s, and the 400, 403, 413 and 500 sent before or around a route."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import Response
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.helpers.stacks import mlp

# Spelled out, not imported: a change to the policy must change this test too.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)
EXPECTED = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-resource-policy": "same-origin",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("headers") / "data"
    app = create_app(Settings(data_dir=data, workers=0, predictors=0, max_body_bytes=2048))

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("a bug in a route")

    @app.get("/weaker", include_in_schema=False)
    def weaker() -> Response:
        return Response(headers={"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": "*"})

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _send(client: TestClient, kind: str) -> httpx.Response:
    forged = {"Origin": "http://evil.example"}
    requests = {
        "page": lambda: client.get("/builder"),
        "htmx fragment": lambda: client.get(
            "/datasets", headers={"HX-Request": "true", "HX-Target": "dataset-list"}
        ),
        "API JSON": lambda: client.get("/api/layers"),
        "API download": lambda: client.get("/api/datasets/1/export.npz"),
        "OpenAPI schema": lambda: client.get("/openapi.json"),
        "API docs": lambda: client.get("/docs"),
        "static file": lambda: client.get("/static/app.css"),
        "vendored script": lambda: client.get("/static/vendor/htmx-2.0.11.min.js"),
        "API 404": lambda: client.get("/api/architectures/999"),
        "page 404": lambda: client.get("/datasets/999"),
        "no such route": lambda: client.get("/nowhere"),
        "no such static file": lambda: client.get("/static/nothing.js"),
        "422": lambda: client.post("/api/architectures", json={"layers": "no"}),
        "413 from the body limit": lambda: client.post(
            "/api/architectures", json={**mlp(), "name": "x" * 4000}
        ),
        "400 from the Host check": lambda: client.get("/", headers={"Host": "evil.example"}),
        "403 from the origin check": lambda: client.post(
            "/api/architectures", json=mlp(), headers=forged
        ),
        "500 from a bug": lambda: client.get("/boom"),
    }
    return requests[kind]()


STATUS = {"API 404": 404, "page 404": 404, "no such route": 404, "no such static file": 404,
          "422": 422, "413 from the body limit": 413, "400 from the Host check": 400,
          "403 from the origin check": 403, "500 from a bug": 500}  # fmt: skip
KINDS = ["page", "htmx fragment", "API JSON", "API download", "OpenAPI schema", "API docs",
         "static file", "vendored script", *STATUS]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_every_answer_carries_the_security_headers(client: TestClient, kind: str) -> None:
    response = _send(client, kind)
    assert response.status_code == STATUS.get(kind, 200), response.text
    assert {name: response.headers.get(name) for name in EXPECTED} == EXPECTED


def test_a_weaker_header_set_by_a_route_is_replaced_not_doubled(client: TestClient) -> None:
    response = client.get("/weaker")
    assert {name: response.headers.get_list(name) for name in EXPECTED} == {
        name: [value] for name, value in EXPECTED.items()
    }
