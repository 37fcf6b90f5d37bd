"""The Jinja2 templates every page shares, and the rule they follow: one URL serves the page,
or only the fragment htmx asked for (its `HX-Target`), from the same handler and data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.deps import CurrentUser, SettingsDep
from app.models import FINISHED
from app.web.formats import FILTERS, fmt_duration


def remember_user(request: Request, user: CurrentUser, settings: SettingsDep) -> None:
    """The page routers' dependency: base.html's header shows who is signed in (with accounts
    on; AUTH=none's local user is nobody to show). The sign-in page has none of it."""
    request.state.signed_in_user = user if settings.accounts else None


def _signed_in_user(request: Request) -> dict[str, Any]:
    return {"signed_in_user": getattr(request.state, "signed_in_user", None)}


templates = Jinja2Templates(
    directory=Path(__file__).resolve().parents[2] / "templates",
    context_processors=[_signed_in_user],
)
templates.env.filters.update(FILTERS)
templates.env.globals.update(FINISHED=FINISHED, duration=fmt_duration)


def wants_fragment(request: Request, target: str) -> bool:
    """htmx asks to fill the element with id `target`. Restoring history (back button with
    an empty cache) also comes from htmx but needs the whole page."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-History-Restore-Request") != "true"
        and headers.get("HX-Target") == target
    )


def render_page(
    request: Request, page: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """The whole page templates/pages/<page>.html (base.html marks its tab from `page`)."""
    return templates.TemplateResponse(
        request, f"pages/{page}.html", {"page": page, **context}, status_code=status_code
    )


def page_or_fragment(
    request: Request, page: str, fragment: str, target: str, context: dict[str, Any]
) -> HTMLResponse:
    """The page, or only partials/<fragment>.html when htmx asks to fill #<target>."""
    name = f"partials/{fragment}.html" if wants_fragment(request, target) else f"pages/{page}.html"
    response = templates.TemplateResponse(request, name, {"page": page, **context})
    # One URL, two bodies: a cache must not answer a page load with a fragment.
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


def render_fragment(fragment: str, context: dict[str, Any]) -> str:
    """A partial as a string: a stream's event, or a small answer (no url_for inside)."""
    return templates.get_template(f"partials/{fragment}.html").render(**context)
