"""Claiming queued runs (app/runs/state.py claim_next) with many workers at once, on each
database: every run goes to exactly one worker, and no worker hears "nothing queued" while
runs are still waiting."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.models import Run, RunStatus, User
from app.runs import state

pytestmark = pytest.mark.both_databases

CLAIMERS, RUNS, OWNERS = 16, 200, 4


def queue(engine: Engine, runs: int, owners: int) -> list[int]:
    with Session(engine) as session:
        people = [User(email=f"u{n}@example.com") for n in range(owners)]
        session.add_all(people)
        session.flush()
        queued = [
            Run(owner_id=people[n % owners].id, stack={}, fit={}, preprocessing={})
            for n in range(runs)
        ]
        session.add_all(queued)
        session.commit()
        return [run.id for run in queued]  # type: ignore[misc]


def still_queued(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(Run).where(Run.status == RunStatus.QUEUED)
        return session.exec(query).one()


def test_many_workers_claim_every_run_exactly_once(engine: Engine) -> None:
    ids = queue(engine, RUNS, OWNERS)
    claimed: list[list[int]] = [[] for _ in range(CLAIMERS)]
    left_when_told_none: list[int] = []
    start = threading.Barrier(CLAIMERS)

    def work(me: int) -> None:
        start.wait()
        while (run_id := state.claim_next(engine, f"worker-{me}")) is not None:
            claimed[me].append(run_id)
        # Nothing is ever queued again, so a run still queued now was queued at the None.
        left_when_told_none.append(still_queued(engine))

    threads = [threading.Thread(target=work, args=(me,)) for me in range(CLAIMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    every = [run_id for mine in claimed for run_id in mine]
    assert sorted(every) == sorted(ids)  # each once: none lost, none twice
    assert left_when_told_none == [0] * CLAIMERS
    with Session(engine) as session:
        workers = session.exec(select(Run.id, Run.worker, Run.status)).all()
    owner_of = {run_id: f"worker-{me}" for me, mine in enumerate(claimed) for run_id in mine}
    assert {(i, w, s) for i, w, s in workers} == {(i, owner_of[i], RunStatus.RUNNING) for i in ids}


def test_skipped_runs_stay_queued_for_another_claimer(engine: Engine) -> None:
    first, second = queue(engine, 2, 1)
    assert state.claim_next(engine, "picky", skip={first}) == second
    assert state.claim_next(engine, "picky", skip={first}) is None
    assert state.claim_next(engine, "any") == first
