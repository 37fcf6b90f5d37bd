"""The same-origin check (app/security/origin.py): unsafe methods from another site's page are
refused with 403 before the route runs; the app's own pages, scripts and API clients pass."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.security import SameOrigin
from tests.helpers.stacks import mlp

UNSAFE = ["POST", "PUT", "PATCH", "DELETE"]
OWN = "http://testserver"  # TestClient's origin: Host testserver, scheme http


@pytest.fixture
def calls() -> list[str]:
    return []


@pytest.fixture
def client(calls: list[str]) -> TestClient:
    """One route that answers every method and records that it ran."""
    app = FastAPI()

    @app.api_route("/thing", methods=["GET", "HEAD", "OPTIONS", *UNSAFE])
    def thing() -> dict:
        calls.append("ran")
        return {"ok": True}

    app.add_middleware(SameOrigin)
    return TestClient(app)


@pytest.mark.parametrize("method", UNSAFE)
def test_a_same_origin_change_passes(client, calls, method) -> None:
    response = client.request(method, "/thing", headers={"Origin": OWN})
    assert response.status_code == 200 and calls == ["ran"]


@pytest.mark.parametrize("method", UNSAFE)
def test_a_cross_origin_change_is_refused_before_the_route_runs(client, calls, method) -> None:
    response = client.request(method, "/thing", headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert f"{method} /thing" in detail and "http://evil.example" in detail and OWN in detail
    assert calls == []


@pytest.mark.parametrize(
    "origin",
    [
        "http://testserver:8080",  # another port is another origin
        "https://testserver",  # another scheme too
        "http://sub.testserver",
        "null",  # a sandboxed frame, a file:// page, a cross-site redirect
        "http://testserver.evil.example",
        "not a url",
    ],
)
def test_only_the_exact_origin_counts(client, calls, origin) -> None:
    assert client.post("/thing", headers={"Origin": origin}).status_code == 403
    assert calls == []


def test_the_default_port_and_the_case_of_the_name_do_not_matter(client, calls) -> None:
    assert client.post("/thing", headers={"Origin": "http://TestServer:80"}).status_code == 200
    assert calls == ["ran"]


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_without_origin_a_browser_saying_another_site_is_refused(client, calls, site) -> None:
    response = client.post("/thing", headers={"Sec-Fetch-Site": site})
    assert response.status_code == 403 and f"Sec-Fetch-Site: {site}" in response.json()["detail"]
    assert calls == []


@pytest.mark.parametrize("site", ["same-origin", "none"])
def test_without_origin_a_browser_saying_this_site_passes(client, calls, site) -> None:
    assert client.post("/thing", headers={"Sec-Fetch-Site": site}).status_code == 200


def test_a_script_without_browser_headers_passes(client, calls) -> None:
    """curl, httpx, requests: no Origin, no Sec-Fetch-Site, so no browser drove them."""
    assert client.delete("/thing").status_code == 200 and calls == ["ran"]


def test_a_bearer_token_without_cookies_is_an_api_client(client, calls) -> None:
    """Browsers never add a bearer token on their own, so the Origin does not matter."""
    headers = {"Authorization": "Bearer ls_abc", "Origin": "http://evil.example"}
    assert client.post("/thing", headers=headers).status_code == 200 and calls == ["ran"]


def test_a_bearer_token_with_cookies_from_another_site_is_refused(client, calls) -> None:
    headers = {
        "Authorization": "Bearer ls_abc",
        "Cookie": "session=s",
        "Origin": "http://evil.example",
    }
    assert client.post("/thing", headers=headers).status_code == 403
    assert calls == []


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_reads_from_another_site_pass(client, calls, method) -> None:
    """Reads change nothing; the Host check (and, with accounts, sign-in) guards them."""
    headers = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert client.request(method, "/thing", headers=headers).status_code == 200


def test_the_app_refuses_a_cross_site_change_and_keeps_its_data(tmp_path, backend) -> None:
    """Wired into create_app: a forged save of an architecture leaves none behind."""
    settings = Settings(data_dir=tmp_path / "data", workers=0, predictors=0)
    with TestClient(create_app(settings)) as app_client:
        forged = app_client.post(
            "/api/architectures", json=mlp(), headers={"Origin": "http://evil.example"}
        )
        assert forged.status_code == 403
        assert app_client.get("/api/architectures").json()["count"] == 0
        own = app_client.post("/api/architectures", json=mlp(), headers={"Origin": OWN})
        assert own.status_code == 201
