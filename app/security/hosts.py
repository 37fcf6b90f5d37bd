"""The Host allow-list: a request for any other name is refused with 400 before it reaches a
route. A page on an attacker's domain that re-points its DNS name at 127.0.0.1 (DNS
rebinding) makes the browser send that domain as Host, so it never gets an answer to read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# A name or an IPv4 address, or an IPv6 address in brackets; then an optional port.
HOST = re.compile(r"(?:\[(?P<ipv6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9_.-]+))(?::\d{1,5})?")


def host_name(host: str) -> str | None:
    """'Studio.Example:8000' -> 'studio.example', '[::1]:8000' -> '::1'; None if malformed."""
    found = HOST.fullmatch(host.strip().lower())
    if found is None:
        return None
    return found["ipv6"] or found["name"].removesuffix(".")


class HostAllowList:
    """ASGI middleware: only HTTP requests whose Host (port aside) is in `allowed` pass."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = {host.lower().strip("[]").removesuffix(".") for host in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan; there are no websocket routes
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host")
        if host is not None and host_name(host) in self.allowed:
            await self.app(scope, receive, send)
            return
        await JSONResponse({"detail": _detail(host)}, status_code=400)(scope, receive, send)


def _detail(host: str | None) -> str:
    if host is None:
        return "Bad request: no Host header. Send the server's name, e.g. Host: 127.0.0.1:8000."
    name = host_name(host)
    fix = (
        f"If this server is meant to be reached as {name}, add it to the ALLOWED_HOSTS setting "
        f"(comma-separated names, e.g. ALLOWED_HOSTS={name}) and restart it."
        if name
        else "Send a host name or address, with an optional :port."
    )
    return f"Bad request: this server does not answer to Host {host!r}. {fix}"
