"""The sign-in page: the one page that needs no signed-in user (the form posts to the same
POST /api/session a script would use, then goes where the visitor was headed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import SettingsDep
from app.web.templates import render_page

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never //host or a URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/sign-in", response_class=HTMLResponse)
def read_sign_in_page(request: Request, settings: SettingsDep, next: str | None = None) -> Response:
    """The sign-in form; with AUTH=none there is nobody to sign in as: straight on."""
    if not settings.accounts:
        return RedirectResponse(safe_next(next), status_code=303)
    return render_page(request, "sign_in", {"next": safe_next(next)})
