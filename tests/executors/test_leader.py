"""One executor among several web processes (app/executors/leader.py): whoever holds the
`executor` lease in the database runs it, another takes over when it goes, and nobody else
interrupts the runs it trains. On both databases. A lease expires when the test moves its
clock on (no sleeping past a TTL); the Leaders' renewal threads try every 0.05 s, and the
tests wait for what they do (a role, a try counted by the clock), never for time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import pytest
from sqlmodel import Session

from app.executors import leader as leader_module
from app.executors import lease
from app.executors.leader import LEASE, Leader
from app.models import Lease, Run, RunStatus, utcnow
from app.runs import state
from tests.helpers.clock import Clock
from tests.helpers.web import queue_run

pytestmark = pytest.mark.both_databases  # the lease's SQL, and interrupting runs


class Recorder:
    """An executor that records what the Leader asks of it (the inner executor's interface)."""

    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def start(self) -> None:
        self.log.append(f"{self.name} start")

    def stop(self) -> None:
        self.log.append(f"{self.name} stop")

    def submit(self, run_id: int) -> None:
        self.log.append(f"{self.name} submit {run_id}")

    def cancel(self, run_id: int) -> None:
        self.log.append(f"{self.name} cancel {run_id}")

    def describe(self) -> list[dict[str, Any]]:
        return [{"name": self.name}]


@pytest.fixture
def engine(client):
    """The database of an app (SQLite or PostgreSQL, as `client` is) whose own Leader has no
    workers: the Leaders under test here are the only ones that try for the lease."""
    return client.app.state.engine


@pytest.fixture
def fast(monkeypatch) -> None:
    """Renewal threads that try every 0.05 s (the lease's TTL stays 10 s: only a Clock moved
    on by the test makes it expire)."""
    monkeypatch.setattr(leader_module, "RENEW_S", 0.05)


def leader(
    engine, log: list[str], name: str, enabled: bool = True, clock: Clock | None = None
) -> Leader:
    return Leader(lambda: Recorder(log, name), engine, enabled, clock=clock or utcnow)


@pytest.fixture
def running_run(client):
    """A run some worker is training, as a crash would leave it."""

    def make(worker: str) -> int:
        run_id = queue_run(client)["id"]
        assert state.claim_next(client.app.state.engine, worker) == run_id
        return run_id

    return make


def status_of(engine, run_id: int) -> str:
    with Session(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        return run.status


def wait_until(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.02)


def test_exactly_one_of_several_processes_runs_the_executor(engine) -> None:
    log: list[str] = []
    first, second = leader(engine, log, "A"), leader(engine, log, "B")
    first.start()
    second.start()
    try:
        assert log == ["A start"]
        assert (first.role, second.role) == ("this process", "another process")
        assert first.describe() == [{"name": "A"}] and second.describe() == []
        second.submit(7)  # the queue is in the database: the leader's workers find the run
        second.cancel(7)
        first.submit(8)
        assert log == ["A start", "A submit 8"]
    finally:
        second.stop()
        first.stop()
    assert log[-1] == "A stop"  # the one that never led stops nothing


def test_when_the_leader_stops_another_takes_over_and_interrupts_only_then(
    engine, fast, running_run
) -> None:
    log: list[str] = []
    b_clock = Clock()  # clocks that stand still: A's lease cannot expire while A lives
    first, second = leader(engine, log, "A", clock=Clock()), leader(engine, log, "B", clock=b_clock)
    first.start()
    run_id = running_run("worker-a")
    second.start()
    assert status_of(engine, run_id) == RunStatus.RUNNING  # a second process interrupts nothing
    b_clock.another_try()  # nor do its later tries
    assert status_of(engine, run_id) == RunStatus.RUNNING and log == ["A start"]
    first.stop()  # shuts down cleanly: releases the lease
    wait_until(lambda: second.role == "this process")
    assert log == ["A start", "A stop", "B start"]
    # Left running (a real LocalExecutor.stop would have interrupted it itself): resumable now.
    assert status_of(engine, run_id) == RunStatus.INTERRUPTED
    assert second.interrupted == [run_id]
    second.stop()


def test_a_leader_that_stopped_renewing_is_taken_over_once_its_lease_expires(engine, fast) -> None:
    log: list[str] = []
    clock = Clock()
    lease.hold(engine, LEASE, "elsewhere:4242:abcdef", leader_module.TTL_S, clock)  # another host
    waiting = leader(engine, log, "B", clock=clock)
    waiting.start()
    assert log == [] and waiting.role == "another process"
    clock.advance(leader_module.TTL_S - 0.001)  # a millisecond before it expires
    clock.another_try()
    assert log == [] and waiting.role == "another process"
    clock.advance(0.002)  # expired
    wait_until(lambda: waiting.role == "this process")
    assert log == ["B start"]
    waiting.stop()


def test_a_dead_leader_on_this_host_is_taken_over_at_once(engine) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    hostname = os.uname().nodename
    lease.hold(engine, LEASE, f"{hostname}:{gone.stdout.strip()}:abcdef", ttl_s=600)
    log: list[str] = []
    restarted = leader(engine, log, "B")
    restarted.start()  # no waiting for the 600 s lease: its holder's process is gone
    assert log == ["B start"]
    restarted.stop()


def test_a_live_leader_on_this_host_is_not_taken_over(engine) -> None:
    lease.hold(engine, LEASE, f"{os.uname().nodename}:{os.getpid()}:abcdef", ttl_s=600)
    log: list[str] = []
    other = leader(engine, log, "B")
    other.start()
    assert log == [] and other.role == "another process"
    other.stop()


def test_a_leader_that_lost_its_lease_stops_its_workers(engine, fast) -> None:
    log: list[str] = []
    clock = Clock()  # stands still: A's own lease cannot expire under it
    first = leader(engine, log, "A", clock=clock)
    first.start()
    with Session(engine) as session:  # a stalled process: someone else took the lease
        held = session.get(Lease, LEASE)
        assert held is not None
        held.holder = "elsewhere:1:abcdef"
        session.add(held)
        session.commit()
    lease.hold(engine, LEASE, "elsewhere:1:abcdef", ttl_s=600, clock=clock)
    wait_until(lambda: first.role == "another process")
    assert log == ["A start", "A stop"]
    first.stop()
    assert lease.holder_of(engine, LEASE) == "elsewhere:1:abcdef"  # not released by A


def test_without_workers_a_process_never_leads_and_interrupts_only_orphans(
    engine, running_run
) -> None:
    log: list[str] = []
    orphan = running_run("worker-gone")
    idle = leader(engine, log, "A", enabled=False)
    idle.start()  # no live lease: nobody trains that run any more
    assert status_of(engine, orphan) == RunStatus.INTERRUPTED
    assert idle.role == "none (WORKERS=0)" and log == []
    idle.stop()

    lease.hold(engine, LEASE, "elsewhere:1:abcdef", ttl_s=600)
    trained = running_run("worker-live")
    web_only = leader(engine, log, "B", enabled=False)
    web_only.start()  # a live executor elsewhere trains it: left alone
    assert status_of(engine, trained) == RunStatus.RUNNING
    web_only.stop()
