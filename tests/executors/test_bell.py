"""The bell that wakes workers and the dispatcher (app/executors/bell.py): a ring wakes a
waiting child, many rings wake it once, closing says stop, and above all a child killed
while it waits never makes the parent wait (a multiprocessing.Event did: its next set()
hung for ever, and the server's submissions with it)."""

from __future__ import annotations

import multiprocessing
import os
import platform
import signal
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from app.executors.bell import Bell, Listener

SPAWN = multiprocessing.get_context("spawn")
# The call a Listener's wait sleeps in (Connection.poll: poll(2), or ppoll(2) where the C
# library makes poll of it), by number as /proc/PID/syscall gives it.
POLL_CALLS = {"x86_64": {7, 271}, "aarch64": {73}}.get(platform.machine())


def waiting_in_poll(pid: int, timeout: float = 30) -> None:
    """Return once the process `pid` sleeps in poll(2). /proc/PID/syscall names the call its
    main thread is blocked in ("running" while it runs); where there is no such file, or the
    machine's numbers are not known here, return at once (the caller's own event, e.g. the
    child's "waiting" report, is all there is to go on), except under CI=true: fail."""
    path = Path(f"/proc/{pid}/syscall")
    if POLL_CALLS is None or not path.exists():
        assert os.environ.get("CI") != "true", f"no {path} to tell by on {platform.machine()}"
        return
    deadline = time.monotonic() + timeout
    while (call := path.read_text().split()[0]) == "running" or int(call) not in POLL_CALLS:
        assert time.monotonic() < deadline, f"{pid} is not waiting in poll(2) ({call})"
        time.sleep(0.01)


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
