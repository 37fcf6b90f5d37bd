"""The databases tests run on: a SQLite file in the test's data dir, or PostgreSQL.

PostgreSQL: one throw-away database per test session (created on first use, dropped when the
session ends), and in it one schema per data dir (so per test), chosen through the URL's
`options` (search_path): tests stay independent without a database each. The server is
TEST_POSTGRES_URL's (default: the role `make postgres` creates, over TCP on 127.0.0.1).
Without one the PostgreSQL leg is skipped, or fails under CI=true.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import URL, make_url, text
from sqlalchemy.engine import Engine

from app.db import make_engine
from app.paths import DataPaths

BACKENDS = ("sqlite", "postgresql")
ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://layerstack:layerstack@127.0.0.1:5432/postgres"
)
PREFIX = "layerstack_test_"


def database_url_for(data_dir: Path, backend: str) -> str:
    """The DATABASE_URL of a server whose data dir is `data_dir`: the same one each call."""
    if backend == "sqlite":
        return f"sqlite:///{DataPaths(data_dir).database}"
    schema = _schema(data_dir)
    with _admin(session_database()).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    url = make_url(ADMIN_URL).set(
        database=session_database(), query={"options": f"-csearch_path={schema}"}
    )
    return url.render_as_string(hide_password=False)


def current_backend() -> str:
    """The backend of the test running now: the `backend` fixture sets DATABASE_URL."""
    return "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"


def require_postgres() -> None:
    """Skip (fail under CI=true) when the test PostgreSQL cannot be reached."""
    problem = _unreachable()
    if problem is None:
        return
    note = (
        f"PostgreSQL leg: no server at {_safe(ADMIN_URL)} ({problem}). Run `make postgres` "
        "(as root it starts the machine's PostgreSQL and creates the test role) or set "
        "TEST_POSTGRES_URL."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(note, pytrace=False)
    pytest.skip(note)


@cache
def session_database() -> str:
    """This test session's database, created on first use (drop_session_database ends it)."""
    name = f"{PREFIX}{os.getpid()}_{secrets.token_hex(3)}"
    with _admin(None).connect() as connection:
        _drop_abandoned(connection)
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return name


def drop_session_database() -> None:
    if session_database.cache_info().currsize == 0:
        return  # never created: no PostgreSQL test ran
    name = session_database()
    with _admin(None).connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    session_database.cache_clear()


def _drop_abandoned(connection) -> None:  # type: ignore[no-untyped-def]
    """Databases of test sessions whose process is gone (killed before it could drop its
    own); a live session's (another run on this machine) is left alone."""
    names = connection.execute(
        text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": PREFIX + "%"}
    ).scalars()
    for name in list(names):
        pid = re.match(rf"{PREFIX}(\d+)_", name)
        if pid and not Path(f"/proc/{pid[1]}").exists():
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _schema(data_dir: Path) -> str:
    """A readable, unique schema name for a data dir (at most 63 characters)."""
    path = str(data_dir.resolve())
    readable = re.sub(r"[^a-z0-9]+", "_", data_dir.resolve().parent.name.lower())[:40]
    return f"t_{readable}_{hashlib.sha1(path.encode()).hexdigest()[:10]}"


_engines: dict[str | None, Engine] = {}


def _admin(database: str | None) -> Engine:
    """Autocommit (CREATE/DROP DATABASE cannot run in a transaction); one engine each."""
    if database not in _engines:
        url: URL = make_url(ADMIN_URL)
        if database is not None:
            url = url.set(database=database)
        engine = make_engine(url.render_as_string(hide_password=False))
        _engines[database] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return _engines[database]


@cache
def _unreachable() -> str | None:
    try:
        url = make_url(ADMIN_URL).update_query_dict({"connect_timeout": "3"})
        engine = make_engine(url.render_as_string(hide_password=False))
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any reason at all: the note says which
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return None


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
