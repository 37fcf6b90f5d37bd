"""Several web processes on one database (issue 14), on SQLite and PostgreSQL: a run queued
through one is trained once and watched through any, with every epoch in order; exactly one
of them trains; when it goes, another takes over. Real servers, real training workers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.live_server import LiveServer
from tests.helpers.runs import submit, wait_for
from tests.helpers.sse import Event, events

pytestmark = pytest.mark.both_databases

EPOCHS = 4
TAKEOVER_S = 30  # the lease's 10 s, a renewal's 2 s, and the new worker's TensorFlow import


def watch(url: str, into: list[Event]) -> threading.Thread:
    thread = threading.Thread(target=lambda: into.extend(events(url)), daemon=True)
    thread.start()
    return thread


def assert_whole_stream(seen: list[Event]) -> None:
    epochs = [e for e in seen if e.event == "epoch"]
    assert [e.id for e in epochs] == [str(n) for n in range(1, EPOCHS + 1)]
    assert [e.data["epoch"] for e in epochs] == list(range(1, EPOCHS + 1))
    assert seen[-1].event == "done" and seen[-1].data["status"] == "completed"


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def with_tensorflow(pid: int) -> list[int]:
    """The processes under `pid` that have TensorFlow loaded: the training workers."""
    loaded = []
    for child in descendants(pid):
        try:
            if "libtensorflow" in Path(f"/proc/{child}/maps").read_text():
                loaded.append(child)
        except OSError:
            continue
    return loaded


def test_a_run_queued_through_one_server_is_watched_through_both_and_trained_once(
    backend: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = LiveServer(data, WORKERS="1").start()
    second = LiveServer(data, WORKERS="1").start()  # the same database, its own port
    try:
        one, two = (httpx.get(f"{s.url}/api/health").json() for s in (first, second))
        assert (one["executor"], two["executor"]) == ("this process", "another process")
        assert len(one["workers"]) == 1 and two["workers"] == []

        run = submit(second, epochs=EPOCHS, batch_size=16)
        seen_first: list[Event] = []
        seen_second: list[Event] = []
        threads = [
            watch(f"{first.url}/api/runs/{run['id']}/events", seen_first),
            watch(f"{second.url}/api/runs/{run['id']}/events", seen_second),
        ]
        for thread in threads:
            thread.join(timeout=180)
        assert_whole_stream(seen_first)
        assert_whole_stream(seen_second)
        assert wait_for(first, run["id"])["status"] == "completed"

        # The leader goes away: the other server takes the lease and trains what comes next.
        first.stop()
        deadline = time.monotonic() + TAKEOVER_S
        while httpx.get(f"{second.url}/api/health").json()["executor"] != "this process":
            assert time.monotonic() < deadline, "no takeover"
            time.sleep(0.2)
        later = submit(second, epochs=1)
        assert wait_for(second, later["id"])["status"] == "completed"
    finally:
        first.stop()
        second.stop()


def test_web_workers_serve_one_app_with_one_training_worker(backend: str, tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", WEB_WORKERS="2", WORKERS="1").start()
    try:
        assert server.process is not None
        # Each request on a new connection: the two processes share the listening socket.
        runs = [submit(server, epochs=EPOCHS, batch_size=16) for _ in range(2)]
        for run in runs:
            seen: list[Event] = []
            watch(f"{server.url}/api/runs/{run['id']}/events", seen).join(timeout=180)
            assert_whole_stream(seen)
        web = [
            pid
            for pid in descendants(server.process.pid)
            if "app.main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
            or "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
        ]
        assert len(web) >= 2  # uvicorn's two web processes (and the training worker)
        assert len(with_tensorflow(server.process.pid)) == 1  # one executor, one worker
    finally:
        server.stop()
