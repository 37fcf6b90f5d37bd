"""What middleware answers before any route runs is in the OpenAPI document of every operation:
400 for a Host not in ALLOWED_HOSTS, 413 for a body over its cap (GETs included), and 403 for
a change a browser says comes from another site; each with the body the middleware sends."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.main import create_app
from tests.helpers.accounts import accounts_settings
from tests.helpers.stacks import mlp

ERROR = {"$ref": "#/components/schemas/ErrorPublic"}


def test_every_operation_declares_400_and_413_and_every_change_403(client):
    schema = client.get("/openapi.json").json()
    operations = [(m, p, o) for p, ops in schema["paths"].items() for m, o in ops.items()]
    assert len(operations) >= 40
    for method, path, operation in operations:
        expected = {"400", "413"} | (set() if method == "get" else {"403"})
        for status in expected:
            declared = operation["responses"].get(status)
            assert declared, f"{method.upper()} {path} does not declare {status}"
            assert declared["content"]["application/json"]["schema"] == ERROR, (path, status)
    error = schema["components"]["schemas"]["ErrorPublic"]
    assert error["required"] == ["detail"] and error["properties"]["detail"]["type"] == "string"
    # A route's own, more specific words are kept.
    runs = schema["paths"]["/api/runs"]["post"]["responses"]
    assert "storage quota" in runs["413"]["description"]


def test_the_accounts_mode_document_declares_them_too(tmp_path, backend):
    with TestClient(create_app(accounts_settings(tmp_path / "data"))) as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert "400" in paths["/api/session"]["post"]["responses"]
    assert "413" in paths["/api/me"]["get"]["responses"]


def test_each_refusal_sends_the_body_it_declares(client, settings):
    host = client.get("/api/health", headers={"Host": "evil.example"})
    over = client.request("GET", "/api/health", content=b"x" * (settings.max_body_bytes + 1))
    cross = client.post("/api/summary", json=mlp(), headers={"Origin": "https://evil.example"})
    for answer, status in ((host, 400), (over, 413), (cross, 403)):
        assert answer.status_code == status
        assert answer.headers["content-type"] == "application/json"
        detail = answer.json()
        assert list(detail) == ["detail"] and isinstance(detail["detail"], str), status
    assert "ALLOWED_HOSTS" in host.json()["detail"]
    assert "MAX_BODY_BYTES" in over.json()["detail"]
