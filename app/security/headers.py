"""Security headers on every answer: pages, API JSON, static files, errors, and the 400, 403
and 413 that other middleware sends before a route runs (this one wraps them all).

The Content-Security-Policy lets a page run only scripts and styles served from this origin:
no inline <script>, no inline style="" (page code sets widths through `element.style`, which
the policy allows), no eval (htmx runs with allowEval off), no framing by another site.
Images may also be data: URLs (dataset samples) and blob: URLs (the image being predicted).
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Another site's page cannot load our answers as its own images or scripts (no-cors).
    "Cross-Origin-Resource-Policy": "same-origin",
}
RAW_HEADERS = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]
NAMES = {name for name, _ in RAW_HEADERS}


class SecurityHeaders:
    """ASGI middleware: sets SECURITY_HEADERS on every HTTP response (replacing any the app
    set). An exception that escapes before the response starts becomes a 500 here, with the
    headers, and is raised on so the server still logs it (Starlette's own 500 is sent outside
    every middleware, without them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in NAMES]
                message = {**message, "headers": [*kept, *RAW_HEADERS]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not started:
                error = PlainTextResponse("Internal Server Error", status_code=500)
                await error(scope, receive, send_with_headers)
            raise
