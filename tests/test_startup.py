"""What `python -m app` says when it starts (app/startup.py): the lines a person needs, no
secret among them, and one line with exit status 2, no traceback, for a misconfiguration."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app import startup
from app.accounts.service import create_user
from app.config import Settings
from app.main import PREPARED, create_app
from app.models import UserCreate
from tests.helpers.accounts import accounts_settings
from tests.helpers.live_server import LiveServer, free_port
from tests.helpers.paths import REPO

PASSPHRASE = "a long passphrase, never logged"


def layerstack_lines(log: str) -> list[str]:
    prefix = "layerstack: "
    return [line.removeprefix(prefix) for line in log.splitlines() if line.startswith(prefix)]


def test_the_start_up_log_says_url_auth_data_database_executor_and_workers(tmp_path):
    server = LiveServer(tmp_path / "data", backend="sqlite").start()
    server.stop()
    data = (tmp_path / "data").resolve()
    assert layerstack_lines(server.log()) == [
        f"url: http://127.0.0.1:{server.port}/",
        "auth: none (no sign-in: whoever reaches this loopback address is the local admin)",
        f"data: {data}",
        f"database: SQLite file {data / 'layerstack.db'}",
        "executor: local, no training workers (WORKERS=0): runs wait in the queue",
        "web: 1 process (WEB_WORKERS=1)",
        "predictions: off (PREDICTORS=0): predict requests answer 503",
    ]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_database_line_hides_the_postgresql_password(tmp_path, backend):
    server = LiveServer(tmp_path / "data", backend=backend).start()
    server.stop()
    url = make_url(server.env["DATABASE_URL"])
    lines = layerstack_lines(server.log())
    assert f"database: {url.render_as_string(hide_password=True)}" in lines
    assert f":{url.password}@" not in server.log() and ":***@" in server.log()


def test_accounts_mode_says_it_created_the_first_admin_and_never_the_password(tmp_path):
    env = {"AUTH": "accounts", "ADMIN_EMAIL": "Ada@Example.org", "ADMIN_PASSWORD": PASSPHRASE}
    server = LiveServer(tmp_path / "data", backend="sqlite", **env).start()
    server.stop()
    lines = layerstack_lines(server.log())
    assert (
        "auth: accounts (every page and API call needs a signed-in user or an API token)" in lines
    )
    assert lines[-1] == "accounts: created the first admin ada@example.org (ADMIN_EMAIL)"
    assert PASSPHRASE not in server.log()


def test_accounts_mode_says_who_can_sign_in_or_that_nobody_can(tmp_path, engine, caplog):
    caplog.set_level(logging.INFO, logger="layerstack")
    given = accounts_settings(tmp_path / "data")
    nobody = given.model_copy(update={"admin_email": None, "admin_password": None})
    with Session(engine) as session:
        startup.first_admin(session, nobody)
        create_user(session, UserCreate(email="bo@example.org", password=PASSPHRASE))
        startup.first_admin(session, nobody)
        startup.first_admin(session, given)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "accounts: AUTH=accounts and no user can sign in yet: set ADMIN_EMAIL and "
         "ADMIN_PASSWORD, or run `python -m app users create --email you@example.com --admin`."),
        ("INFO", "accounts: 1 user can sign in"),
        ("INFO", "accounts: 1 user can sign in; ADMIN_EMAIL is used only while nobody can"),
    ]  # fmt: skip


def test_create_app_still_prepares_by_itself_and_says_the_first_admin(tmp_path, caplog):
    """What TestClient(create_app(settings)) relies on: no `python -m app` ran prepare()."""
    caplog.set_level(logging.INFO, logger="layerstack")
    assert PREPARED not in os.environ
    with TestClient(create_app(accounts_settings(tmp_path / "data"))):
        pass
    assert "accounts: created the first admin admin@example.com (ADMIN_EMAIL)" in caplog.messages


def test_the_summary_names_the_ray_cluster_the_web_processes_and_inference(tmp_path):
    given = {"data_dir": tmp_path, "database_url": "", "predictors": 1, "model_cache_size": 8}
    ray = Settings(host="0.0.0.0", executor="ray", ray_address="ray://head:10001", **given)
    lines = startup.summary(ray.model_copy(update={"web_workers": 4, "workers": 1}))
    assert lines[0] == "url: http://0.0.0.0:8000/ (every interface)"
    assert "executor: ray, ray://head:10001; its dispatcher runs here" in lines
    assert "web: 4 processes on one port (WEB_WORKERS=4); one of them runs the executor" in lines
    assert "predictions: an inference process per web process, up to 8 models loaded" in lines
    alone = Settings(host="::1", executor="ray", workers=0, **given)
    lines = startup.summary(alone)
    assert lines[0] == "url: http://[::1]:8000/"
    assert lines[4] == (
        "executor: ray, a Ray instance of its own (RAY_ADDRESS is empty); no dispatcher here "
        "(WORKERS=0): `python -m app dispatch` runs one"
    )
    two = Settings(workers=2, **given)
    assert "executor: local, 2 training worker processes (WORKERS=2)" in startup.summary(two)


def test_a_password_in_a_database_error_is_never_shown(tmp_path, caplog):
    url = "postgresql+psycopg://x:secret@db.example:5432/app"
    settings = Settings(data_dir=tmp_path, database_url=url)
    refused = OperationalError("connect", {}, Exception('FATAL: no role "x" with "secret"'))
    with pytest.raises(SystemExit) as exited, startup.explained(settings):
        raise refused
    assert exited.value.code == 2
    assert caplog.messages == [
        "cannot open the database DATABASE_URL=postgresql+psycopg://x:***@db.example:5432/app "
        '(FATAL: no role "x" with "***"): start it, check its user and password, or fix '
        "DATABASE_URL (empty: SQLite in DATA_DIR)."
    ]


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port another server listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


Case = Callable[[Path, int], tuple[dict[str, str], str]]
MISCONFIGURATIONS: dict[str, Case] = {
    "postgresql unreachable": lambda tmp, _: (
        {"DATABASE_URL": "postgresql+psycopg://x:secret@127.0.0.1:1/none?connect_timeout=2"},
        "cannot open the database DATABASE_URL=postgresql+psycopg://x:***@127.0.0.1:1/none"
        "?connect_timeout=2 (connection failed: ",
    ),
    "an unknown database scheme": lambda tmp, _: (
        {"DATABASE_URL": "postgress://x:secret@127.0.0.1/none"},
        "DATABASE_URL=postgress://x:***@127.0.0.1/none cannot be used (Can't load plugin: "
        "sqlalchemy.dialects:postgress): use postgresql+psycopg://",
    ),
    "DATA_DIR unwritable": lambda tmp, _: (
        {"DATA_DIR": str(tmp / "a-file" / "data")},
        f"DATA_DIR={tmp / 'a-file' / 'data'} cannot be made or written (Not a directory): "
        "point DATA_DIR at a folder this user may write",
    ),
    "the port in use": lambda tmp, port: (
        {"PORT": str(port)},
        f"HOST=127.0.0.1 PORT={port}: the port is in use (another server, or a Layerstack "
        "still running): stop it, or set PORT to a free port.",
    ),
    "a first admin that does not validate": lambda tmp, _: (
        {"AUTH": "accounts", "ADMIN_EMAIL": "ada", "ADMIN_PASSWORD": "secret"},
        "the first admin was not created: ADMIN_EMAIL='ada' is not an email address; "
        "ADMIN_PASSWORD: String should have at least 8 characters.",
    ),
}


@pytest.mark.parametrize("case", MISCONFIGURATIONS, ids=str)
def test_a_misconfiguration_ends_with_one_line_and_status_2(tmp_path, taken_port, case):
    (tmp_path / "a-file").write_text("not a folder")
    env, expected = MISCONFIGURATIONS[case](tmp_path.resolve(), taken_port)
    plain = {"HOST": "127.0.0.1", "PORT": str(free_port()), "DATABASE_URL": "",
             "DATA_DIR": str(tmp_path / "data"), "WORKERS": "0", "PREDICTORS": "0"}  # fmt: skip
    env = {**os.environ, **plain, **env}
    done = subprocess.run([sys.executable, "-m", "app"], cwd=REPO, capture_output=True,
                          text=True, timeout=60, env=env)  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert done.stderr.splitlines()[-1].startswith(f"layerstack: {expected}"), output
    assert "Traceback" not in output and "secret" not in output
    assert "Uvicorn running" not in output
