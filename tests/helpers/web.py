"""Helpers for tests/web: queueing runs (no worker, so they stay queued), and reading pages
and event streams as a browser (and htmx) would see them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.helpers.stacks import mlp

HTMX = {"HX-Request": "true"}


def queue_run(client, name: str = "MLP", dataset_id: int = 1, shape=None, **fit) -> dict:
    """POST /api/runs with an inline MLP; the 202 answer's run."""
    stack = {**mlp(shape), "name": name}
    body = {"architecture": stack, "dataset_id": dataset_id, "fit": {"epochs": 3, **fit}}
    response = client.post("/api/runs", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def fragment_headers(target: str) -> dict[str, str]:
    """What htmx sends when it fills the element with id `target`."""
    return {**HTMX, "HX-Target": target}


def by_testid(html: str, prefix: str) -> list[str]:
    """The data-testid values starting with `prefix`, in page order."""
    return re.findall(rf'data-testid="({re.escape(prefix)}[^"]*)"', html)


@dataclass
class Event:
    event: str
    data: str  # the data lines joined with newlines, as EventSource's event.data


def parse_events(body: str) -> list[Event]:
    """Every event in a text/event-stream body; comments (pings) and data-less events are
    dropped, as EventSource drops them."""
    found = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            key, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if key == "event":
                name = value
            elif key == "data":
                data.append(value)
        if data:
            found.append(Event(name, "\n".join(data)))
    return found
