"""A run's live events (GET /api/runs/{id}/events, server-sent events) as Python objects,
followed across dropped connections: each reconnect sends Last-Event-ID (the last epoch
seen), so the server sends only later epochs and nothing is lost or repeated."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from layerstack.errors import LayerstackError

# The server pings every 15 s; a read silent for longer means the connection is gone.
READ_TIMEOUT_S = 40.0
DROPPED = (httpx.TransportError,)  # refused, reset, timed out, cut mid-event


@dataclass(frozen=True)
class Event:
    """`kind`: status (the run's status, and while queued what it waits for), progress
    (inside an epoch), epoch (one epoch's metrics; `id` is its number), done (the run ended:
    data["status"], data["error"])."""

    kind: str
    data: Any
    id: int | None = None


def parse(lines: Iterator[str]) -> Iterator[Event]:
    """Events from the lines of an event stream (comments, such as pings, skipped)."""
    kind, ident = "message", None
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                text = "\n".join(data)
                try:
                    value: Any = json.loads(text)
                except ValueError:
                    value = text
                yield Event(kind, value, ident)
            kind, data, ident = "message", [], None
            continue
        if line.startswith(":"):
            continue
        name, _, value_text = line.partition(":")
        value_text = value_text.removeprefix(" ")
        if name == "event":
            kind = value_text
        elif name == "data":
            data.append(value_text)
        elif name == "id" and value_text.isdigit():
            ident = int(value_text)


def follow(
    http: httpx.Client,
    run_id: int,
    *,
    last_epoch: int = 0,
    retries: int = 10,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Event]:
    """Every event of run `run_id` after epoch `last_epoch`, until `done`; a dropped
    connection is opened again (up to `retries` times in a row, waiting longer each time)."""
    failures = 0
    while True:
        headers = {"Accept": "text/event-stream"}
        if last_epoch:
            headers["Last-Event-ID"] = str(last_epoch)
        timeout = httpx.Timeout(10.0, read=READ_TIMEOUT_S)
        try:
            with http.stream(
                "GET", f"/api/runs/{run_id}/events", headers=headers, timeout=timeout
            ) as response:
                if response.status_code != 200:
                    response.read()
                    raise LayerstackError.from_response(response)
                for event in parse(response.iter_lines()):
                    failures = 0
                    if event.kind == "epoch" and event.id is not None:
                        if event.id <= last_epoch:
                            continue  # sent again after a reconnect: already given
                        last_epoch = event.id
                    yield event
                    if event.kind == "done":
                        return
        except DROPPED as error:
            failures += 1
            if failures > retries:
                raise LayerstackError(
                    f"The event stream of run {run_id} dropped {failures} times in a row "
                    f"({type(error).__name__}: {error}); the run goes on on the server."
                ) from error
            sleep(min(0.5 * 2 ** (failures - 1), 10.0))
            continue
        # The server ended the stream without `done` (it restarted): pick up where we were.
        failures += 1
        if failures > retries:
            raise LayerstackError(f"The event stream of run {run_id} kept ending without done.")
        sleep(0.5)
