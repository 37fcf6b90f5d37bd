"""The database: engine (SQLite tuned for concurrent writers, or PostgreSQL), sessions,
migrations at start-up."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from app.config import get_settings, with_driver

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The key of the PostgreSQL advisory lock migrations hold: web processes starting together
# upgrade one after the other (the next finds the schema at head), never at once.
MIGRATION_LOCK = 0x4C61796572  # "Layer"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (SSE streams) run beside the writer; busy_timeout waits instead of
    # failing with "database is locked"; SQLite leaves foreign keys off unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    url = with_driver(url)
    if url.startswith("postgresql"):
        return _postgres_engine(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _postgres_engine(url: str) -> Engine:
    # Sessions in UTC, whatever the server's TimeZone: timestamps come back as UTC, as stored.
    # Options already in the URL (e.g. `-c search_path=...`) are kept: connect_args replaces.
    given = make_url(url).query.get("options")
    options = " ".join([*(given if isinstance(given, tuple) else [given or ""]), "-c timezone=UTC"])
    # pre_ping: a connection the server closed (restart, idle timeout) is replaced, not used.
    return create_engine(url, pool_pre_ping=True, connect_args={"options": options.strip()})


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (alembic upgrade head), one process at a
    time: servers started together on one database upgrade it once."""
    with _sqlite_file_lock(engine):
        _upgrade(engine)


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """On SQLite, an exclusive lock on a file beside the database for the upgrade: SQLite's
    own locking lets two processes both see an empty schema and both create it."""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        yield
        return
    with open(f"{path}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def _upgrade(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends, which holds the whole upgrade (DDL is
            # transactional on PostgreSQL): a second process waits, then finds nothing to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def new_migration(message: str) -> None:
    """`make migration m="..."`: autogenerate a revision against DATABASE_URL's schema."""
    config = alembic_config()
    engine = make_engine(get_settings().db_url)
    migrate(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
