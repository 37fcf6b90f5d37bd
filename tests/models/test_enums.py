"""Run statuses (app/models/enums.py): each run is either active or finished, only some
finished runs can be resumed, and the run table stores exactly these statuses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from app.config import Settings
from app.db import make_engine, migrate
from app.models import Run
from app.models.enums import ACTIVE, FINISHED, RESUMABLE, RunStatus

pytestmark = pytest.mark.both_databases


def test_every_status_is_either_active_or_finished() -> None:
    assert set(RunStatus) == ACTIVE | FINISHED
    assert not ACTIVE & FINISHED
    # Only these hold or wait for a worker (so deleting one cancels it first); a failed or
    # cancelled run is over. (FINISHED is ACTIVE's complement, so this is what can change.)
    assert {RunStatus.QUEUED, RunStatus.RUNNING} == ACTIVE


def test_only_runs_stopped_early_can_be_resumed() -> None:
    assert RESUMABLE < FINISHED
    assert RunStatus.COMPLETED not in RESUMABLE and RunStatus.FAILED not in RESUMABLE


@pytest.fixture(params=["models", "migrations"])
def engine(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Engine]:
    """The run table as app/models/runs.py declares it, and as the migrations build it (on
    each database: `settings` has the test's)."""
    engine = make_engine(settings.db_url)
    if request.param == "models":
        SQLModel.metadata.create_all(engine)
    else:
        migrate(engine)
    yield engine
    engine.dispose()


def store(engine: Engine, status: str) -> str:
    with Session(engine) as session:
        run = Run(status=status, stack={}, fit={}, preprocessing={})
        session.add(run)
        session.commit()
        session.refresh(run)
        return run.status


@pytest.mark.parametrize("status", list(RunStatus))
def test_the_run_table_stores_every_status(engine: Engine, status: RunStatus) -> None:
    assert store(engine, status) == status


@pytest.mark.parametrize("status", ["done", "Queued", "", "cancelled "])
def test_the_run_table_refuses_any_other_status(engine: Engine, status: str) -> None:
    with pytest.raises(IntegrityError, match="run_status"):
        store(engine, status)
