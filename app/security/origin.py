"""Same-origin check on unsafe methods: a browser sends a form post or a `fetch(no-cors)` to
any site it is told to, with the user's cookies, so a POST, PUT, PATCH or DELETE that a
browser says comes from another site is refused with 403 before it is read.

What counts (the order matters):
- `Authorization: Bearer ...` and no Cookie header: an API client (a browser never adds a
  bearer token by itself, and a cross-site page cannot set one without a CORS preflight,
  which this server does not grant). Passes.
- `Origin` present: it must be this server's own origin, scheme://Host as the request came in.
- no Origin, `Sec-Fetch-Site` present: it must be `same-origin` or `none` (typed in the
  address bar, a bookmark).
- neither header: not a browser (curl, httpx, TestClient), so it cannot be driven from
  another site. Passes.
GET, HEAD and OPTIONS pass: they change nothing here (reads are guarded by the Host check).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OWN_SITE = frozenset({"same-origin", "none"})
DEFAULT_PORTS = {"http": 80, "https": 443}
HOW = (
    "Changes are accepted from this server's own pages, and from scripts (curl, httpx, "
    "requests) that send no Origin header or that send Authorization: Bearer <token> "
    "without cookies."
)


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port filled in; None if it is not a URL."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is not a number
        return None
    if not parts.hostname or port is None:
        return None
    return parts.scheme, parts.hostname, port


def cross_site(scope: Scope) -> str | None:
    """Why this request must be refused as cross-site, or None if it may go on."""
    if scope["method"] in SAFE_METHODS:
        return None
    headers = Headers(scope=scope)
    bearer = headers.get("authorization", "").lower().startswith("bearer ")
    if bearer and "cookie" not in headers:
        return None
    what = f"{scope['method']} {scope['path']}"
    own = f"{scope['scheme']}://{headers.get('host', '')}"
    origin = headers.get("origin")
    if origin is not None:
        if _origin(origin) is not None and _origin(origin) == _origin(own):
            return None
        return (
            f"Cross-site request refused: {what} came from a page on {origin}, not from this "
            f"server's own pages ({own}). {HOW} If you opened the studio under another "
            f"address, open it at {own}."
        )
    site = headers.get("sec-fetch-site")
    if site is None or site in OWN_SITE:
        return None
    return (
        f"Cross-site request refused: the browser says {what} came from a {site} page "
        f"(Sec-Fetch-Site: {site}). {HOW}"
    )


class SameOrigin:
    """ASGI middleware: 403 for an unsafe request that `cross_site` refuses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reason = cross_site(scope) if scope["type"] == "http" else None
        if reason is None:
            await self.app(scope, receive, send)
            return
        await JSONResponse({"detail": reason}, status_code=403)(scope, receive, send)
