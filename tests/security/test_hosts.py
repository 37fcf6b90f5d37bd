"""The Host allow-list (app/security/hosts.py): a request for a name the server is not meant to
answer (DNS rebinding: an attacker's domain re-pointed at 127.0.0.1) gets 400 on every route,
before anything runs; the loopback names, HOST and ALLOWED_HOSTS are answered."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from app.config import Settings
from app.main import create_app
from app.security import HostAllowList, host_name
from tests.helpers.live_server import LiveServer

ALLOWED_NAME = "studio.example"
# The families the issue names, so that a route table that lost one fails here.
FAMILIES = ["/", "/builder", "/runs", "/datasets", "/static/app.css", "/docs", "/openapi.json"]


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[FastAPI]:
    data = tmp_path_factory.mktemp("hosts") / "data"
    settings = Settings(data_dir=data, workers=0, predictors=0, allowed_hosts=[ALLOWED_NAME])
    app = create_app(settings)
    with TestClient(app):  # start-up: migrations, the built-in dataset
        yield app


def every_route(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) for every route the app has, with 1 for each path parameter."""
    found = []
    for route in iter_route_contexts(app.routes):  # routes of included routers too
        if isinstance(route.original_route, Mount):
            found.append(("GET", f"{route.path}/app.css"))
        elif route.path is not None:
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            found += [(method, path) for method in sorted(route.methods or {"GET"})]
    return found


def test_every_route_family_is_in_the_table(app: FastAPI) -> None:
    paths = {path for _, path in every_route(app)}
    openapi = {re.sub(r"\{[^}]+\}", "1", path) for path in app.openapi()["paths"]}
    assert set(FAMILIES) <= paths and openapi <= paths


def test_a_foreign_host_gets_400_on_every_route(app: FastAPI) -> None:
    with TestClient(app, base_url="http://evil.example") as client:
        answers = {
            (method, path): client.request(method, path, headers={"Host": "evil.example"})
            for method, path in every_route(app)
        }
    wrong = {key: r.status_code for key, r in answers.items() if r.status_code != 400}
    assert wrong == {}
    for response in answers.values():
        if response.request.method != "HEAD":
            assert "'evil.example'" in response.json()["detail"]
            assert "ALLOWED_HOSTS=evil.example" in response.json()["detail"]


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:8000",
        "127.0.0.1.evil.example",  # a rebinding name that starts like ours
        "localhost.evil.example",
        "studio.example.evil.example",
        "[::2]:8000",
        "10.0.0.7",
        "127.0.0.1@evil.example",
        "",
    ],
)
def test_names_that_only_look_like_ours_get_400(app: FastAPI, host: str) -> None:
    with TestClient(app) as client:
        assert client.get("/api/layers", headers={"Host": host}).status_code == 400


def test_no_host_header_gets_400(app: FastAPI) -> None:
    async def run(scope: dict) -> list[dict]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        async def receive() -> dict:
            return {"type": "http.request", "body": b""}

        await HostAllowList(app, allowed=["127.0.0.1"])(scope, receive, send)
        return sent

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    # A thread of its own: the browser tests leave an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        sent = thread.submit(asyncio.run, run(scope)).result()
    assert sent[0]["status"] == 400 and b"no Host header" in sent[1]["body"]


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:8000", "127.0.0.1", "localhost", "LocalHost:8000", "[::1]:8000", "[::1]",
     "studio.example", "studio.example:443", "Studio.Example."],
)  # fmt: skip
def test_the_loopback_names_and_allowed_hosts_are_answered(app: FastAPI, host: str) -> None:
    with TestClient(app) as client:
        for path in FAMILIES:
            response = client.get(path, headers={"Host": host})
            assert response.status_code == 200, f"{path} with Host {host}: {response.text}"


@pytest.mark.parametrize(
    ("host", "name"),
    [("127.0.0.1:8000", "127.0.0.1"), ("[::1]:8000", "::1"), ("Studio.Example.", "studio.example"),
     ("a b", None), ("[::1", None), ("x:port", None)],
)  # fmt: skip
def test_host_name_drops_the_port_and_the_brackets(host: str, name: str | None) -> None:
    assert host_name(host) == name


def test_the_real_server_refuses_a_foreign_host(tmp_path, backend) -> None:
    """Through uvicorn: the Host a client sends is the one checked."""
    server = LiveServer(tmp_path / "data", ALLOWED_HOSTS=ALLOWED_NAME).start()
    try:
        url = f"{server.url}/api/layers"
        refused = httpx.get(url, headers={"Host": "evil.example"})
        assert refused.status_code == 400 and "ALLOWED_HOSTS" in refused.json()["detail"]
        for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}", ALLOWED_NAME):
            assert httpx.get(url, headers={"Host": host}).status_code == 200, host
    finally:
        server.stop()
