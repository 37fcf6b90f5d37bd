"""The database module: migrations build exactly the schema the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on SQLModel.metadata)
from app.db import make_engine, migrate


def test_migrations_match_the_models(tmp_path):
    """A model changed without a migration (or the reverse) shows up as a difference."""
    engine = make_engine(f"sqlite:///{tmp_path / 'check.db'}")
    migrate(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    engine.dispose()
    assert (journal, foreign_keys) == ("wal", 1)


def test_work_saved_before_accounts_belongs_to_the_local_user(tmp_path):
    """Migration 0004 on a database with 0003's rows: every architecture, upload and run
    gets the local user as owner; the built-in dataset stays owned by none."""
    from alembic import command

    from app.db import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
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
            " version, created_at) VALUES ('completed', '{}', '{}', '{}', 1, 0, 1, '2026-01-01')"
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
