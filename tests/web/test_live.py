"""The runs list's event stream (app/web/live.py): rows of going runs, rendered on the server
as HTML, on every status change and epoch, one event name per run, then `done`."""

from __future__ import annotations

import threading
import time

import pytest

from app.runs import state
from tests.helpers.web import parse_events, queue_run

LOGS = {"loss": 2.0, "accuracy": 0.3, "val_loss": 1.9, "val_accuracy": 0.4}
STEP_S = 0.3  # so each change is seen on its own


def play(app, run_id: int, epochs: int) -> threading.Thread:
    """A worker's part, in a thread: start the run, record epochs, complete it, telling the
    hub after each change as a local worker does."""
    engine, hub = app.state.engine, app.state.hub

    def work() -> None:
        time.sleep(STEP_S)
        assert state.claim_next(engine, "test") == run_id
        hub.wake_soon(run_id)
        for epoch in range(1, epochs + 1):
            time.sleep(STEP_S)
            state.record_epoch(engine, run_id, epoch, {**LOGS, "val_accuracy": 0.4 + epoch / 10})
            hub.wake_soon(run_id)
        time.sleep(STEP_S)
        state.finish(engine, run_id, "completed")
        hub.wake_soon(run_id)

    thread = threading.Thread(target=work)
    thread.start()
    return thread


@pytest.mark.both_databases
def test_a_going_run_sends_its_row_at_each_change_then_done(client):
    run = queue_run(client, epochs=2)
    worker = play(client.app, run["id"], epochs=2)
    answer = client.get(f"/runs/live?run={run['id']}")  # the whole stream, until done
    worker.join()
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = parse_events(answer.text)
    # One event per change, 0.3 s apart; on a loaded machine two changes can land in one
    # read of the hub, and then one row shows both (the stream sends what is, not a log).
    assert [e.event for e in events] == [f"run-{run['id']}"] * (len(events) - 1) + ["done"]
    assert len(events) >= 4
    rows = [e.data for e in events[:-1]]
    assert all(r.lstrip().startswith(f'<tr id="run-row-{run["id"]}"') for r in rows)
    badges = [r.split('class="badge ')[1].split('"')[0] for r in rows]
    order = ["queued", "running", "completed"]
    assert badges[0] in ("queued", "running") and badges[-1] == "completed"
    assert [order.index(b) for b in badges] == sorted(order.index(b) for b in badges)
    epochs = [r.split('class="num">')[1].split("<")[0] for r in rows]
    assert epochs == sorted(epochs) and epochs[-1] == "2 / 2"
    assert "val_accuracy 0.6000 (epoch 2)" in rows[-1]
    # A going row swaps itself on its next event; the finished one no longer listens.
    assert all(f'sse-swap="run-{run["id"]}"' in r for r in rows[:-1])
    assert "sse-swap" not in rows[-1] and "so far" not in rows[-1]
    assert events[-1].data  # an event without data is never delivered


def test_one_stream_carries_several_runs(client):
    engine = client.app.state.engine
    first, second = queue_run(client), queue_run(client)
    state.finish(engine, second["id"], "cancelled")

    def cancel_first() -> None:
        time.sleep(STEP_S)
        state.request_cancel(engine, first["id"])

    thread = threading.Thread(target=cancel_first)
    thread.start()
    events = parse_events(client.get(f"/runs/live?run={first['id']}&run={second['id']}").text)
    thread.join()
    names = [e.event for e in events]
    assert names.count(f"run-{first['id']}") == 2 and names.count(f"run-{second['id']}") == 1
    assert names[-1] == "done"
    assert 'class="badge cancelled"' in events[names.index(f"run-{second['id']}")].data


def test_runs_that_are_gone_end_the_stream_at_once(client):
    events = parse_events(client.get("/runs/live?run=998&run=999").text)
    assert [e.event for e in events] == ["done"]


def test_the_stream_needs_run_ids(client):
    assert client.get("/runs/live").status_code == 422
    assert client.get("/runs/live?run=abc").status_code == 422
