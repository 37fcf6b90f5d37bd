"""The database module: on each database, migrations build exactly the schema the models
declare, from empty, and undo it; SQLite's settings; PostgreSQL's URLs and time zone."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (registers every table on SQLModel.metadata)
from app.config import Settings
from app.db import alembic_config, make_engine, migrate
from app.models import Run, User
from app.models.common import as_utc
from tests.helpers.db import database_url_for

pytestmark = pytest.mark.both_databases


def test_migrations_match_the_models(engine: Engine) -> None:
    """A model changed without a migration (or the reverse) shows up as a difference."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_migrations_downgrade_to_empty_and_upgrade_again(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert {"run", "user", "dataset", "architecture"} <= set(inspect(engine).get_table_names())


def test_servers_starting_together_migrate_once(tmp_path: Path, backend: str) -> None:
    """Servers migrating at start-up at the same moment take turns (an advisory lock on
    PostgreSQL, a lock file beside the database on SQLite); each ends at head, none fails."""
    url = database_url_for(tmp_path / "data", backend)
    (tmp_path / "data").mkdir(exist_ok=True)
    engines = [make_engine(url) for _ in range(4)]
    errors: list[BaseException] = []

    def start(engine: Engine) -> None:
        try:
            migrate(engine)
        except BaseException as error:  # reported below, with the others
            errors.append(error)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with engines[0].connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    for engine in engines:
        engine.dispose()
    assert errors == []
    assert len(versions) == 1


def test_ids_and_quotas_past_32_bits_are_stored(engine: Engine) -> None:
    """PostgreSQL's INTEGER stops at 2**31 - 1; ids, sizes and quotas are 64-bit."""
    big = 2**40
    with Session(engine) as session:
        session.add(User(id=big, email="big@example.com", quota_storage_bytes=big))
        session.flush()
        session.add(Run(id=big + 1, owner_id=big, size_bytes=big, stack={}, fit={},
                        preprocessing={}))  # fmt: skip
        session.commit()
        run = session.get(Run, big + 1)
        assert run is not None and (run.owner_id, run.size_bytes) == (big, big)


def test_times_come_back_in_utc(engine: Engine) -> None:
    """As stored (every time stored is UTC): PostgreSQL answers in the session's time zone,
    which make_engine sets to UTC; SQLite answers naive times."""
    moment = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    with Session(engine) as session:
        session.add(Run(id=7, stack={}, fit={}, preprocessing={}, created_at=moment))
        session.commit()
    with Session(engine) as session:
        stored = session.get(Run, 7)
        assert stored is not None
        assert stored.created_at.utcoffset() in (None, timedelta(0))
        assert as_utc(stored.created_at) == moment


def test_as_utc_converts_aware_times_and_labels_naive_ones() -> None:
    noon = datetime(2026, 1, 1, 12, 0)
    assert as_utc(noon) == noon.replace(tzinfo=UTC)
    east = datetime(2026, 1, 1, 17, 0, tzinfo=timezone(timedelta(hours=5)))
    assert as_utc(east).tzinfo is UTC and as_utc(east) == noon.replace(tzinfo=UTC)


@pytest.mark.parametrize("scheme", ["postgresql://", "postgres://", "postgresql+psycopg://"])
def test_postgres_urls_use_psycopg(scheme: str) -> None:
    settings = Settings(database_url=f"{scheme}u:p@127.0.0.1:5432/db")
    assert settings.db_url == "postgresql+psycopg://u:p@127.0.0.1:5432/db"
    assert make_engine(settings.db_url).dialect.driver == "psycopg"


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    """SQLite only: PostgreSQL has neither setting to make."""
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    engine.dispose()
    assert (journal, foreign_keys) == ("wal", 1)


def test_work_saved_before_accounts_belongs_to_the_local_user(settings: Settings) -> None:
    """Migration 0004 on a database with 0003's rows: every architecture, upload and run
    gets the local user as owner; the built-in dataset stays owned by none."""
    engine = make_engine(settings.db_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO architecture (name, layers, compile, created_at, updated_at) "
            "VALUES ('old', '[]', '{}', '2026-01-01', '2026-01-01')"
        )
        for name, builtin in (("digits", "'digits'"), ("upload", "NULL")):
            connection.exec_driver_sql(
                "INSERT INTO dataset (name, format, source, builtin, num_train, num_test, "
                "input_shape, dtype, class_names, class_counts, value_min, value_max, created_at)"
                f" VALUES ('{name}', 'npz', '', {builtin}, 1, 0, '[1]', 'uint8', '[]', '{{}}',"
                " 0, 1, '2026-01-01')"
            )
        connection.exec_driver_sql(
            "INSERT INTO run (status, stack, fit, preprocessing, epochs_done, cancel_requested,"
            " version, created_at)"
            " VALUES ('completed', '{}', '{}', '{}', 1, FALSE, 1, '2026-01-01')"
        )
    migrate(engine)
    with engine.connect() as connection:
        local = connection.exec_driver_sql(
            'SELECT id, email, role FROM "user" WHERE is_local'
        ).one()
        owners = {
            table: connection.exec_driver_sql(f"SELECT name, owner_id FROM {table}").all()
            for table in ("architecture", "dataset")
        }
        run_owner = connection.exec_driver_sql("SELECT owner_id, size_bytes FROM run").one()
    engine.dispose()
    assert local[1:] == ("local@localhost", "admin")
    assert owners["architecture"] == [("old", local[0])]
    assert sorted(owners["dataset"]) == [("digits", None), ("upload", local[0])]
    assert tuple(run_owner) == (local[0], 0)
