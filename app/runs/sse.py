"""Server-sent events as bytes: each event is encoded once by whoever makes it (the hub, for
a run's events) and the same bytes are written to every watcher.

`EventStream` is the response: one loop per connection writes what its source has, waits
for news, and sends a keep-alive comment after PING_S without any; no task, queue or memory
stream of its own, so 2,000 open streams cost 2,000 suspended coroutines. A client that went
away is noticed at the next keep-alive (uvicorn drops writes to a closed connection
silently, so the check asks `receive` for a disconnect without waiting). Every stream ends
at once when the server shuts down (app/runs/streams.py).
"""

from __future__ import annotations

import asyncio
import json
from types import TracebackType
from typing import Any, Protocol, Self

from fastapi.encoders import jsonable_encoder
from fastapi.sse import format_sse_event
from starlette.background import BackgroundTask
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.runs.streams import Streams

PING = b": ping\n\n"
PING_S = 15.0
# The 200 answer in OpenAPI, as FastAPI documents its own event streams (OpenAPI 3.2).
EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "data": {"type": "string"},
        "event": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    },
}
STREAMED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Successful Response",
        "content": {"text/event-stream": {"itemSchema": EVENT_SCHEMA}},
    }
}


def encode(event: str, data: Any = None, *, raw: str | None = None, id: int | None = None) -> bytes:
    """One event on the wire: `data` as JSON, or `raw` text (HTML) as it is."""
    text = raw if raw is not None else json.dumps(jsonable_encoder(data))
    return format_sse_event(event=event, data_str=text, id=None if id is None else str(id))


class Source(Protocol):
    """What an EventStream writes: entered before the first byte, left after the last."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def next(self) -> bytes | None:
        """What to write now (b"" when nothing is new); None when the stream is over.
        Never waits for news (it may read the database)."""

    async def wait(self) -> None:
        """Until next() may have something; safe to cancel (the keep-alive timer does)."""


class EventStream(Response):
    """text/event-stream from a Source, held open until the source ends, the client goes or
    the server shuts down; counted in `streams` (for `user_id`) while it is open."""

    media_type = "text/event-stream"

    def __init__(
        self,
        source: Source,
        *,
        streams: Streams | None = None,
        user_id: int | None = None,
        ping_s: float = PING_S,
        status_code: int = 200,  # read by FastAPI for the OpenAPI document
    ) -> None:
        self.source, self.ping_s = source, ping_s
        self.streams = streams or Streams(most=1 << 62, most_per_user=None)
        self.user_id = user_id
        self.status_code = status_code
        self.background: BackgroundTask | None = None
        self.init_headers(
            {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # nginx: do not buffer
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = {"type": "http.response.start", "status": self.status_code}
        start["headers"] = self.raw_headers
        with self.streams.holding(self.user_id):
            async with self.source as source:
                await send(start)
                await self._write(source, receive, send)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _write(self, source: Source, receive: Receive, send: Send) -> None:
        while not self.streams.closing and (chunk := await source.next()) is not None:
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                continue
            try:
                async with self.streams.idle(self.ping_s):
                    await source.wait()
            except TimeoutError:
                if self.streams.closing or await client_gone(receive):
                    return
                await send({"type": "http.response.body", "body": PING, "more_body": True})


async def client_gone(receive: Receive) -> bool:
    """Whether the client has disconnected, without waiting for it to."""
    try:
        async with asyncio.timeout(0):  # cancels receive() where it would wait
            while True:
                if (await receive())["type"] == "http.disconnect":
                    return True
    except TimeoutError:
        return False
