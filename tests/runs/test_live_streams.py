"""Live run streams at scale and how the hub hears of changes: 200 watchers of one run each
get every event in order and `done`; Last-Event-ID resumes after that epoch; a wake reaches a
watcher without waiting for the fallback poll; on PostgreSQL a dropped LISTEN connection is
opened again and nothing changed meanwhile is missed."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy import text

from app.runs import state
from app.runs.events import EventHub
from tests.helpers import aio
from tests.helpers.runs import submit, wait_for
from tests.helpers.sse import events
from tests.helpers.web import queue_run

LOGS = {"loss": 2.0, "accuracy": 0.3}
WATCHERS, EPOCHS = 200, 12


async def watch(port: int, run_id: int) -> list[tuple[str, str | None, str]]:
    """(event, id, data) of each event, read off a raw socket until the server ends it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /api/runs/{run_id}/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
    body = (await reader.read()).decode()
    writer.close()
    head, _, stream = body.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200"), head
    seen = []
    for block in stream.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            seen.append((fields["event"], fields.get("id"), fields.get("data", "")))
    return seen


@pytest.mark.keras
def test_200_watchers_each_get_every_event_in_order_then_done(trainer):
    run = submit(trainer, epochs=EPOCHS, batch_size=64)

    async def everyone() -> list[list[tuple[str, str | None, str]]]:
        return await asyncio.gather(*(watch(trainer.port, run["id"]) for _ in range(WATCHERS)))

    seen = aio.run(everyone())
    final = wait_for(trainer, run["id"])
    assert final["status"] == "completed"
    for number, events_ in enumerate(seen):
        epochs = [(e[1], json.loads(e[2])["epoch"]) for e in events_ if e[0] == "epoch"]
        # Once in ~10 full runs one watcher had no epoch: say what it did get, if it recurs.
        said = f"watcher {number} of {WATCHERS} got {[e[:2] for e in events_][:20]}"
        assert epochs == [(str(n), n) for n in range(1, EPOCHS + 1)], said
        assert events_[0][0] == "status" and events_[-1][0] == "done"
        assert json.loads(events_[-1][2])["status"] == "completed"
        assert [e[0] for e in events_].count("done") == 1


@pytest.mark.keras
def test_last_event_id_resumes_after_that_epoch_and_a_second_tab_sees_the_same(trainer):
    run_id = submit(trainer, epochs=4, batch_size=64)["id"]
    wait_for(trainer, run_id)
    url = f"{trainer.url}/api/runs/{run_id}/events"
    first, second = list(events(url)), list(events(url))
    assert [(e.event, e.id) for e in first] == [(e.event, e.id) for e in second]
    assert [e.id for e in first if e.event == "epoch"] == ["1", "2", "3", "4"]
    resumed = list(events(url, last_event_id="2"))
    assert [(e.event, e.id) for e in resumed] == [
        ("status", None), ("epoch", "3"), ("epoch", "4"), ("done", None)
    ]  # fmt: skip
    assert resumed[-1].data == first[-1].data and resumed[-1].data["epochs_done"] == 4
    assert httpx.get(f"{trainer.url}/api/runs/999999/events").status_code == 404


async def changed_within(hub: EventHub, run_id: int, change, seconds: float) -> bool:
    """Whether a watcher's flag is set within `seconds` of `change()`."""
    flag = asyncio.Event()
    watch = await hub.subscribe(run_id, flag)
    assert watch is not None
    flag.clear()
    await asyncio.to_thread(change)
    try:
        await asyncio.wait_for(flag.wait(), seconds)
        return True
    except TimeoutError:
        return False
    finally:
        hub.unsubscribe(run_id, flag)


@pytest.mark.both_databases
def test_a_wake_reaches_watchers_without_waiting_for_the_poll(client):
    engine = client.app.state.engine
    run_id = queue_run(client)["id"]

    async def scenario() -> tuple[bool, str]:
        hub = EventHub(engine, poll_s=60)  # a poll would come far too late
        try:

            def claim() -> None:
                assert state.claim_next(engine, "test") == run_id
                hub.wake_soon(run_id)  # what a local worker's pipe does

            woken = await changed_within(hub, run_id, claim, 2)
            flag = asyncio.Event()
            watch = await hub.subscribe(run_id, flag)
            return woken, watch.status if watch else ""
        finally:
            await hub.stop()

    assert aio.run(scenario()) == (True, "running")


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # LISTEN/NOTIFY's only
def test_on_postgresql_a_dropped_listen_connection_is_opened_again(client, backend):
    engine = client.app.state.engine
    run_id = queue_run(client)["id"]

    def drop_listeners() -> int:
        with engine.begin() as connection:
            return len(
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE query = 'LISTEN layerstack_runs' AND pid <> pg_backend_pid()"
                    )
                ).all()
            )

    async def scenario() -> tuple[bool, bool, int]:
        hub = EventHub(engine, poll_s=60)  # only NOTIFY (or the re-read after it) can tell
        try:
            notified = await changed_within(
                hub, run_id, lambda: state.claim_next(engine, "test"), 5
            )
            await asyncio.sleep(0.5)
            dropped = await asyncio.to_thread(drop_listeners)

            def while_down() -> None:  # before the hub listens again: no notification heard
                state.request_cancel(engine, run_id)

            healed = await changed_within(hub, run_id, while_down, 5)
            return notified, healed, dropped
        finally:
            await hub.stop()

    notified, healed, dropped = aio.run(scenario())
    assert dropped >= 1 and notified and healed
