"""app/runs/sse.py: events on the wire as a browser's EventSource parses them, and the
response that writes them (headers, keep-alive comments, the end, a gone client)."""

from __future__ import annotations

import asyncio
import json

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.runs.sse import PING, EventStream, client_gone, encode
from tests.helpers import aio
from tests.helpers.web import parse_events


def test_an_event_is_its_name_data_and_id_then_a_blank_line():
    wire = encode("epoch", raw=json.dumps({"epoch": 3, "loss": 0.5}), id=3)
    assert wire == b'event: epoch\ndata: {"epoch": 3, "loss": 0.5}\nid: 3\n\n'
    assert encode("status", {"status": "queued", "waiting_for": None}) == (
        b'event: status\ndata: {"status": "queued", "waiting_for": null}\n\n'
    )


def test_html_over_several_lines_is_one_data_line_each():
    wire = encode("run-1", raw="<tr>\n<td>1</td>\r\n</tr>")
    assert wire == b"event: run-1\ndata: <tr>\ndata: <td>1</td>\ndata: </tr>\n\n"
    [event] = parse_events(wire.decode())
    assert event.event == "run-1" and event.data == "<tr>\n<td>1</td>\n</tr>"


class Script:
    """A Source that sends its chunks one wake at a time, idling `idle_s` before the last."""

    def __init__(self, chunks: list[bytes], idle_s: float = 0.0) -> None:
        self.chunks, self.idle_s = chunks, idle_s
        self.entered = self.left = False
        self.ready = asyncio.Event()

    async def __aenter__(self) -> Script:
        self.entered = True
        self.ready.set()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.left = True

    async def next(self) -> bytes | None:
        if not self.ready.is_set():
            return b""
        self.ready.clear()
        if not self.chunks:
            return None
        chunk = self.chunks.pop(0)
        if len(self.chunks) == 1:
            asyncio.get_running_loop().call_later(self.idle_s, self.ready.set)
        else:
            self.ready.set()
        return chunk

    async def wait(self) -> None:
        await self.ready.wait()


def test_the_stream_writes_each_chunk_pings_while_idle_and_ends_with_its_source():
    source = Script([encode("a", raw="1"), encode("b", raw="2"), encode("done", raw="x")], 0.25)
    app = FastAPI()
    app.get("/s")(lambda: EventStream(source, ping_s=0.1))
    answer = TestClient(app).get("/s")
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.headers["x-accel-buffering"] == "no"
    assert "content-length" not in answer.headers
    assert [e.event for e in parse_events(answer.text)] == ["a", "b", "done"]
    assert answer.content.count(PING) >= 1  # idle 0.25 s, pinged every 0.1 s
    assert source.entered and source.left


def test_a_gone_client_is_seen_without_waiting_and_a_present_one_is_not_waited_for():
    async def check() -> tuple[bool, bool]:
        async def gone() -> dict:
            return {"type": "http.disconnect"}

        async def present() -> dict:
            await asyncio.sleep(60)  # uvicorn waits until something happens
            return {"type": "http.disconnect"}

        return await client_gone(gone), await asyncio.wait_for(client_gone(present), 1)

    assert aio.run(check()) == (True, False)
