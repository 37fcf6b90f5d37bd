"""Request body caps: Starlette reads any size by default, so we count bytes ourselves.

A declared Content-Length over the cap is refused before anything is read; a chunked body is
counted as it streams and cut off at the cap. Either way the answer is 413 and nothing is saved.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException

Scope = dict[str, Any]
ASGIApp = Callable[..., Any]


class BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body parsing re-raises it as a 413 instead of a 400."""

    def __init__(self, limit: int, setting: str) -> None:
        super().__init__(413, _detail(f"more than {_human(limit)}", limit, setting))


def _detail(got: str, limit: int, setting: str) -> str:
    return (
        f"Request body too large: received {got}, the limit is {_human(limit)} "
        f"({setting}). Send less, or raise {setting} on the server."
    )


def _human(size: int) -> str:
    for unit, step in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= step:
            return f"{size / step:g} {unit}"
    return f"{size} bytes"


class BodyLimit:
    """ASGI middleware: `limit_for(scope)` gives (cap in bytes, the setting that sets it)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], tuple[int, str]]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limit_for(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, int(declared), limit, setting)
            return
        seen = 0
        started = False

        async def counting_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit, setting)
            return message

        async def tracking_send(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge as error:
            if not started:
                await self._send_413(send, error.detail)

    async def _refuse(self, send: Callable, size: int, limit: int, setting: str) -> None:
        await self._send_413(send, _detail(_human(size), limit, setting))

    @staticmethod
    async def _send_413(send: Callable, detail: str) -> None:
        body = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
