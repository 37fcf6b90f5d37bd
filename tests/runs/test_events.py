"""The event hub's watches (app/runs/events.py): a watcher counts from the moment it
subscribes, so the first watcher of a run that has ended, which writes everything and leaves
in the step its first read comes back in, does not take the watch away from those waiting
for that read (they sent nothing at all: issue 22's watcher with no epoch)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from app.db import make_engine
from app.models import RunStatus
from app.runs import state
from app.runs.events import EventHub
from app.runs.stream import RunEvents
from tests.helpers import aio
from tests.helpers.live_server import LiveServer
from tests.helpers.stacks import mlp
from tests.helpers.web import queue_run

EPOCHS, WATCHERS = 3, 200


def finish(engine: Engine, run_id: int) -> None:
    """Train run `run_id` on paper: claimed, EPOCHS epochs, completed."""
    assert state.claim_next(engine, "test") == run_id
    for epoch in range(1, EPOCHS + 1):
        assert state.record_epoch(engine, run_id, epoch, {"loss": 1 / epoch})
    state.finish(engine, run_id, RunStatus.COMPLETED)


def hub_whose_reads_wait(engine: Any, monkeypatch: Any) -> tuple[EventHub, asyncio.Event]:
    """A hub whose database reads wait until the returned event is set (made in a loop)."""
    hub = EventHub(engine, poll_s=60)
    held, read = asyncio.Event(), hub._read

    async def read_when_let(*args: Any, **kwargs: Any) -> Any:
        await held.wait()
        return await read(*args, **kwargs)

    monkeypatch.setattr(hub, "_read", read_when_let)
    return hub, held


def test_watchers_waiting_for_the_first_read_keep_the_watch_when_the_first_leaves(
    client, monkeypatch
):
    engine = client.app.state.engine
    run_id = queue_run(client)["id"]
    finish(engine, run_id)

    async def scenario() -> tuple[bytes | None, bytes | None, bool, dict]:
        hub, held = hub_whose_reads_wait(engine, monkeypatch)
        try:
            first, second = RunEvents(hub, run_id), RunEvents(hub, run_id)

            async def first_watcher() -> bytes | None:
                async with first:  # the run has ended: everything, then gone, in one step
                    return await first.next()

            leaving = asyncio.create_task(first_watcher())
            joining = asyncio.create_task(second.__aenter__())
            await asyncio.sleep(0)  # the first reads (held), the second waits for that read
            waiting = not hub.watches[run_id].ready.is_set() and not joining.done()
            held.set()
            first_sent = await leaving
            await joining
            second_sent = await second.next()
            await second.__aexit__(None, None, None)
            return first_sent, second_sent, waiting, dict(hub.watches)
        finally:
            await hub.stop()

    first_sent, second_sent, waiting, left = aio.run(scenario())
    assert waiting  # the interleaving did happen
    assert first_sent is not None and first_sent.count(b"event: epoch") == EPOCHS
    assert second_sent == first_sent  # not None: the second wrote everything too
    assert left == {}  # and once both left, nothing is watched


def test_a_watcher_that_stops_waiting_for_the_first_read_is_not_counted(client, monkeypatch):
    engine = client.app.state.engine
    run_id = queue_run(client)["id"]

    async def scenario() -> tuple[bool, dict]:
        hub, held = hub_whose_reads_wait(engine, monkeypatch)
        try:
            first, second = asyncio.Event(), asyncio.Event()
            reading = asyncio.create_task(hub.subscribe(run_id, first))
            waiting = asyncio.create_task(hub.subscribe(run_id, second))
            await asyncio.sleep(0)
            waiting.cancel()  # its connection went away (or the server stops)
            await asyncio.gather(waiting, return_exceptions=True)
            held.set()
            got = await reading
            hub.unsubscribe(run_id, first)
            return got is not None, dict(hub.watches)
        finally:
            await hub.stop()

    assert aio.run(scenario()) == (True, {})  # the one that gave up keeps nothing watched


async def watch(port: int, run_id: int) -> bytes:
    """The whole answer to one GET of the run's events, read off a raw socket."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /api/runs/{run_id}/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
    answer = await reader.read()
    writer.close()
    return answer


def test_200_watchers_of_a_run_that_has_ended_each_get_every_epoch_then_done(tmp_path, backend):
    server = LiveServer(tmp_path / "data").start()  # no workers: the run is trained on paper
    try:
        body = {"architecture": mlp([8, 8]), "dataset_id": 1, "fit": {"epochs": EPOCHS}}
        answer = httpx.post(f"{server.url}/api/runs", json=body)
        assert answer.status_code == 202, answer.text
        run_id = answer.json()["id"]
        engine = make_engine(server.env["DATABASE_URL"])
        try:
            finish(engine, run_id)
        finally:
            engine.dispose()

        async def everyone() -> list[bytes]:
            return await asyncio.gather(*(watch(server.port, run_id) for _ in range(WATCHERS)))

        for answer_ in aio.run(everyone(), timeout=120):
            head, _, events = answer_.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head
            # Before the fix, most of them were an empty stream: b"0\r\n\r\n".
            assert events.count(b"event: epoch") == EPOCHS, events[:200]
            assert events.count(b"event: done") == 1, events[:200]
    finally:
        server.stop()
