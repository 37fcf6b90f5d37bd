"""The catalog jobs' rows (app/datasets/catalog_rows.py), on both databases: one live process
holds an addition at a time, an ended or abandoned one may be claimed again, and once a try
has ended no late heartbeat turns it back into a running one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, update

from app.config import Settings
from app.datasets import catalog_rows
from app.db import make_engine
from app.models import CatalogJob, utcnow
from app.models.enums import CatalogStage

pytestmark = pytest.mark.both_databases

OWNER = 1  # the laptop-mode user the app made


@pytest.fixture
def rows(client: TestClient, settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.db_url)
    yield engine
    engine.dispose()


def row(engine: Engine) -> CatalogJob:
    with Session(engine) as session:
        found = catalog_rows.read(session, OWNER, "mnist")
        assert found is not None
        return found


def test_one_live_process_holds_an_addition(rows: Engine) -> None:
    assert catalog_rows.claim(rows, OWNER, "mnist", "a", 100)
    assert not catalog_rows.claim(rows, OWNER, "mnist", "b", 100)  # a is alive: join it
    catalog_rows.write(rows, OWNER, "mnist", "b", CatalogStage.IMPORTING, 7)  # not b's: ignored
    catalog_rows.write(rows, OWNER, "mnist", "a", CatalogStage.DOWNLOADING, 40)
    now = row(rows)
    assert (now.process, now.stage, now.bytes_done) == ("a", "downloading", 40)
    assert catalog_rows.is_running(now)


def test_an_ended_try_stays_ended_and_may_be_tried_again(rows: Engine) -> None:
    assert catalog_rows.claim(rows, OWNER, "mnist", "a", None)
    catalog_rows.write(rows, OWNER, "mnist", "a", CatalogStage.FAILED, 5, "bad file", 502)
    catalog_rows.write(rows, OWNER, "mnist", "a", CatalogStage.IMPORTING, 9)  # a late heartbeat
    ended = row(rows)
    assert (ended.stage, ended.error, ended.error_status) == ("failed", "bad file", 502)
    assert not catalog_rows.is_running(ended)
    assert catalog_rows.claim(rows, OWNER, "mnist", "b", 10)
    again = row(rows)
    assert (again.process, again.stage, again.bytes_done, again.error) == ("b", "starting", 0, None)


def test_a_row_whose_heartbeat_stopped_may_be_claimed(rows: Engine) -> None:
    assert catalog_rows.claim(rows, OWNER, "mnist", "a", None)
    with Session(rows) as session:
        old = utcnow() - timedelta(seconds=catalog_rows.STALE_S + 1)
        session.execute(update(CatalogJob).values(heartbeat_at=old))
        session.commit()
    assert not catalog_rows.is_running(row(rows))
    assert catalog_rows.claim(rows, OWNER, "mnist", "b", None)
    assert row(rows).process == "b" and catalog_rows.is_running(row(rows))
