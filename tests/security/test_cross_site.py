"""Cross-site attacks, tried in Chromium as an attacker would: a page on another origin
(http://localhost:<port2>) posts forms and sends fetch(no-cors) and DELETE requests to the app
(http://127.0.0.1:<port1>). The browser sends them; the app refuses them with 403 before they
run; the API, read from the test afterwards, shows that nothing changed.

With accounts, the browser is signed in and the attacker's page is on the same site (another
port of 127.0.0.1), so the SameSite=Lax session cookie goes along: still 403.

A control runs the same pages against a copy of the app without the origin check: there the
upload and the cancel go through, so the attacks are real and the check is what stops them.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Page, Request

from app.config import Settings
from app.main import create_app
from app.security import SameOrigin
from tests.helpers.accounts import ADMIN_EMAIL, ADMIN_PASSWORD, accounts_settings
from tests.helpers.live_server import LiveServer, free_port
from tests.helpers.stacks import mlp

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium")]

IMPORTED = "model = Sequential([Dense(3, input_shape=(4,))])"
CSV = "label,a,b,c,d\\n" + "".join(f"{i % 2},{i},{i + 1},{i + 2},{i + 3}\\n" for i in range(40))


class Attacker:
    """A second origin: a tiny HTTP server that serves whatever page a test gives it."""

    def __init__(self, host: str) -> None:
        pages = self.pages = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path, "not here").encode()
                self.send_response(200 if self.path in pages else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        # localhost: another origin and another site than 127.0.0.1; 127.0.0.1: another origin
        # (the port) on the same site, whose pages get the app's SameSite=Lax cookies sent.
        self.origin = f"http://{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, name: str, html: str) -> str:
        self.pages[f"/{name}"] = f"<!doctype html><title>{name}</title><body>{html}</body>"
        return f"{self.origin}/{name}"


# Each attack: a page of the attacker's, given the app's URL and the ids of its objects.
def form_text_plain(app: str, ids: dict) -> str:
    """The text/plain trick: the form body reads as JSON, {"...": "=..."}."""
    name = json.dumps({"format": "python", "save": True, "source": IMPORTED, "pad": ""})[:-2]
    return (
        f'<form method="post" enctype="text/plain" action="{app}/api/architectures/import">'
        f"<input type=\"hidden\" name='{name}' value='\"}}'></form>"
        "<script>document.forms[0].submit()</script>"
    )


def form_urlencoded(app: str, ids: dict) -> str:
    return (
        f'<form method="post" action="{app}/api/architectures/import">'
        f'<input name="format" value="python"><input name="save" value="true">'
        f'<input name="source" value="{IMPORTED}"></form>'
        "<script>document.forms[0].submit()</script>"
    )


def form_upload(app: str, ids: dict) -> str:
    """A multipart form with a file the page made itself (a form's files can be set)."""
    return (
        f'<form method="post" enctype="multipart/form-data" action="{app}/api/datasets">'
        '<input name="name" value="planted"><input type="file" name="files"></form>'
        "<script>"
        "const files = new DataTransfer();"
        f'files.items.add(new File(["{CSV}"], "planted.csv", {{type: "text/csv"}}));'
        "document.querySelector('input[type=file]').files = files.files;"
        "document.forms[0].submit();"
        "</script>"
    )


def fetch_cancel(app: str, ids: dict) -> str:
    url = f"{app}/api/runs/{ids['run']}/cancel"
    return (
        f'<script>fetch("{url}", {{method: "POST", mode: "no-cors", credentials: "include", '
        'body: "{}"})'
        '.then(() => { document.title = "sent"; }, (e) => { document.title = "error " + e; });'
        "</script>"
    )


def fetch_delete(app: str, ids: dict) -> str:
    """DELETE is not allowed in no-cors mode (fetch refuses it), and in cors mode the browser
    asks first (a preflight OPTIONS), which the app does not grant: it is never sent."""
    url = f"{app}/api/architectures/{ids['architecture']}"
    return (
        "<script>"
        f'const noCors = fetch("{url}", {{method: "DELETE", mode: "no-cors"}});'
        f'const cors = fetch("{url}", {{method: "DELETE"}});'
        "Promise.allSettled([noCors, cors]).then((results) => {"
        "  document.title = results.map((r) => r.status).join(' ');"
        "});"
        "</script>"
    )


ATTACKS: dict[str, tuple[Callable[[str, dict], str], str]] = {
    # name: (the page, the request it makes the browser send)
    "form text/plain to import": (form_text_plain, "POST /api/architectures/import"),
    "form urlencoded to import": (form_urlencoded, "POST /api/architectures/import"),
    "form multipart upload": (form_upload, "POST /api/datasets"),
    "fetch no-cors cancel": (fetch_cancel, "POST /api/runs/{run}/cancel"),
    "fetch DELETE": (fetch_delete, "DELETE /api/architectures/{architecture}"),
}


def state(api: httpx.Client, ids: dict) -> dict:
    """What an attack could change, read through the API."""
    return {
        "architectures": api.get("architectures").json()["count"],
        "datasets": api.get("datasets").json()["count"],
        "run": api.get(f"runs/{ids['run']}").json()["status"],
        "architecture": api.get(f"architectures/{ids['architecture']}").status_code,
    }


def seed(api: httpx.Client) -> dict:
    """An architecture, and a run that stays queued (the server has no worker)."""
    arch = api.post("architectures", json=mlp()).raise_for_status().json()
    body = {"architecture_id": arch["id"], "dataset_id": 1, "fit": {"epochs": 1}}
    run = api.post("runs", json=body).raise_for_status().json()
    return {"architecture": arch["id"], "run": run["id"]}


def attack(page: Page, attacker: Attacker, app: str, ids: dict, name: str) -> dict[str, str]:
    """Open the attacker's page and wait until the browser is done with the attack's request
    (answered, or refused by the browser itself); the headers it was sent with."""
    make, request = ATTACKS[name]
    method, path = request.format(**ids).split(" ")
    done: list[dict[str, str]] = []

    def settled(sent: Request) -> None:  # answered, or blocked by the browser
        if sent.method == method and sent.url == f"{app}{path}":
            done.append(sent.all_headers())

    page.on("requestfinished", settled)
    page.on("requestfailed", settled)
    page.goto(attacker.page(name.replace(" ", "-").replace("/", "-"), make(app, ids)))
    if method == "DELETE":
        page.wait_for_function("document.title.includes('rejected')")
        assert page.title() == "rejected rejected", "fetch refused both DELETEs"
    else:
        deadline = time.monotonic() + 10
        while not done and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert done, f"the browser never sent {method} {path}"
    return done[0] if done else {}


def answered(server: LiveServer, request: str) -> list[str]:
    """The statuses the server logged for this request ("POST /x"), in order."""
    return re.findall(rf'"{re.escape(request)} HTTP/1.1" (\d+)', server.log())


@contextmanager
def attacker_site(host: str) -> Iterator[Attacker]:
    site = Attacker(host)
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()


@pytest.fixture(scope="module")
def attacker() -> Iterator[Attacker]:
    with attacker_site("localhost") as site:
        yield site


@pytest.fixture(scope="module")
def app_server(tmp_path_factory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("cross-site") / "data").start()
    yield server
    server.stop()


@pytest.mark.parametrize("name", list(ATTACKS))
def test_an_attack_from_another_origin_changes_nothing(
    page: Page, attacker: Attacker, app_server: LiveServer, name: str
) -> None:
    with httpx.Client(base_url=f"{app_server.url}/api/") as api:
        ids = seed(api)
        before = state(api, ids)
        assert before["run"] == "queued" and before["architecture"] == 200
        request = ATTACKS[name][1].format(**ids)
        logged = answered(app_server, request)

        attack(page, attacker, app_server.url, ids, name)

        assert state(api, ids) == before
    new = answered(app_server, request)[len(logged) :]
    if request.startswith("DELETE"):  # the browser never sent it
        assert new == []
    else:  # the browser sent it; the server's access log shows it refused
        assert new == ["403"]


@pytest.mark.parametrize("name", ["form multipart upload", "fetch no-cors cancel"])
def test_a_signed_in_browser_on_a_same_site_page_changes_nothing(
    page: Page, tmp_path: Path, name: str
) -> None:
    server = LiveServer(
        tmp_path / "data", AUTH="accounts", ADMIN_EMAIL=ADMIN_EMAIL, ADMIN_PASSWORD=ADMIN_PASSWORD
    ).start()
    credentials = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    try:
        # The browser signs in (its cookie jar gets the session), and so does the test's client.
        assert page.request.post(f"{server.url}/api/session", data=credentials).ok
        with (
            attacker_site("127.0.0.1") as same_site,
            httpx.Client(base_url=f"{server.url}/api/") as api,
        ):
            api.post("session", json=credentials).raise_for_status()
            ids = seed(api)
            before = state(api, ids)
            attack(page, same_site, server.url, ids, name)
            assert state(api, ids) == before
        assert answered(server, ATTACKS[name][1].format(**ids)) == ["403"]
    finally:
        server.stop()


@contextmanager
def unprotected_app(settings: Settings) -> Iterator[str]:
    """The app without its origin check, served in this process: the control."""
    app = create_app(settings)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not SameOrigin]
    server = uvicorn.Server(uvicorn.Config(app, port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_without_the_origin_check_the_same_attacks_go_through(
    page: Page, attacker: Attacker, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", workers=0, predictors=0)
    with unprotected_app(settings) as app, httpx.Client(base_url=f"{app}/api/") as api:
        ids = seed(api)
        before = state(api, ids)
        attack(page, attacker, app, ids, "form multipart upload")
        attack(page, attacker, app, ids, "fetch no-cors cancel")
        assert state(api, ids) == {**before, "datasets": before["datasets"] + 1, "run": "cancelled"}


def test_without_the_origin_check_a_signed_in_browser_is_driven_from_the_same_site(
    page: Page, tmp_path: Path
) -> None:
    """The session cookie goes along with the same-site page's requests (else they would be
    401s and change nothing): with accounts too, the origin check is what stops them."""
    credentials = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    with (
        unprotected_app(accounts_settings(tmp_path / "data")) as app,
        attacker_site("127.0.0.1") as same_site,
        httpx.Client(base_url=f"{app}/api/") as api,
    ):
        assert page.request.post(f"{app}/api/session", data=credentials).ok
        api.post("session", json=credentials).raise_for_status()
        ids = seed(api)
        before = state(api, ids)
        attack(page, same_site, app, ids, "form multipart upload")
        attack(page, same_site, app, ids, "fetch no-cors cancel")
        assert state(api, ids) == {**before, "datasets": before["datasets"] + 1, "run": "cancelled"}
