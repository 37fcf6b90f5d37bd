"""Following a run (layerstack/events.py): the event stream parsed as the server writes it,
and a dropped connection picked up again with Last-Event-ID, no epoch lost or repeated."""

from __future__ import annotations

import pytest

from layerstack import Client
from layerstack.events import Event, parse
from tests.helpers.proxy import DroppingProxy
from tests.helpers.runs import submit
from tests.helpers.stacks import mlp


def test_parse_reads_events_ids_and_skips_pings():
    lines = ["event: status", 'data: {"status": "running"}', "", ": ping", "",
             "event: epoch", 'data: {"epoch": 1, "loss": 0.5}', "id: 1", "",
             "event: done", 'data: {"status": "completed", "error": null}', ""]  # fmt: skip
    assert list(parse(iter(lines))) == [
        Event("status", {"status": "running"}),
        Event("epoch", {"epoch": 1, "loss": 0.5}, 1),
        Event("done", {"status": "completed", "error": None}),
    ]


@pytest.mark.keras
def test_follow_survives_a_dropped_connection_without_losing_or_repeating_an_epoch(trainer):
    run = submit(trainer, mlp([8, 8]), epochs=12, batch_size=2, seed=2)
    with DroppingProxy(trainer.port) as proxy, Client(proxy.url) as client:
        epochs, drops = [], 0
        for event in client.follow(run):
            if event.kind == "epoch":
                epochs.append(event.data["epoch"])
                if event.data["epoch"] in (2, 5):  # cut twice, mid-run
                    proxy.drop_all()
                    drops += 1
            final = event
        assert drops == 2 and proxy.connections >= 3  # it came back each time
    assert epochs == list(range(1, 13))
    assert final.kind == "done" and final.data["status"] == "completed"
