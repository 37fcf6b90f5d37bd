"""The bell that wakes workers and the dispatcher (app/executors/bell.py): a ring wakes a
waiting child, many rings wake it once, closing says stop, and above all a child killed
while it waits never makes the parent wait (a multiprocessing.Event did: its next set()
hung for ever, and the server's submissions with it)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from multiprocessing.connection import Connection

import pytest

from app.executors.bell import Bell, Listener
from tests.helpers.processes import waiting_in_poll

SPAWN = multiprocessing.get_context("spawn")


def _listen(end: Connection, report: Connection) -> None:
    listener = Listener(end)
    while not listener.stopped:
        report.send(("rung", listener.wait(60)))
    report.send(("stopped", True))


def _idle(end: Connection, report: Connection) -> None:
    listener = Listener(end)
    report.send("waiting")
    listener.wait(600)


@pytest.fixture
def child():
    bell = Bell(SPAWN)
    reports, report = SPAWN.Pipe(duplex=False)
    process = SPAWN.Process(target=_listen, args=(bell.listener_end, report), daemon=True)
    process.start()
    bell.started()
    report.close()
    yield bell, reports, process
    process.kill()
    process.join()


def test_a_ring_wakes_the_child_and_closing_stops_it(child) -> None:
    bell, reports, process = child
    bell.ring()
    assert reports.poll(30) and reports.recv() == ("rung", True)  # not its 60 s timeout
    bell.close()
    got = [reports.recv() for _ in range(2)] if reports.poll(30) else []
    assert got[-1:] == [("stopped", True)], got
    process.join(30)
    assert process.exitcode == 0


def test_many_rings_never_block_the_parent(child) -> None:
    bell, reports, _ = child
    ringing = threading.Thread(target=lambda: [bell.ring() for _ in range(200_000)])
    ringing.start()
    ringing.join(30)  # more bytes than a pipe holds: the rest are dropped, not waited on
    assert not ringing.is_alive()
    assert reports.poll(30) and reports.recv() == ("rung", True)


def test_a_child_killed_while_it_waits_never_makes_the_parent_wait() -> None:
    bell = Bell(SPAWN)
    reports, report = SPAWN.Pipe(duplex=False)
    process = SPAWN.Process(target=_idle, args=(bell.listener_end, report), daemon=True)
    process.start()
    bell.started()
    report.close()
    try:
        assert reports.poll(30) and reports.recv() == "waiting"  # about to wait...
        waiting_in_poll(process.pid)  # ...and waiting, in the bell's poll
        os.kill(process.pid, signal.SIGKILL)
        process.join(30)
        ringing = threading.Thread(target=lambda: (bell.ring(), bell.ring(), bell.close()))
        ringing.start()
        ringing.join(10)
        assert not ringing.is_alive(), "ringing a dead child's bell blocked"
    finally:
        process.kill()
