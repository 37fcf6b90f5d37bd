"""The signed-in person's own pages: /account (name, password, usage against the quotas) and
/tokens (personal API tokens: the list, a new one shown once, revoke). Thin: parse, call
app.accounts, render. The account page's forms use PATCH /api/me from static/js/account.js;
the tokens page is htmx on the routes here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from app.accounts import service as accounts
from app.accounts.quotas import limits, usage
from app.api.params import Id
from app.deps import CurrentUser, SessionDep, SettingsDep
from app.models import TokenCreate
from app.web.forms import blank_is_none, checked
from app.web.templates import page_or_fragment, render_fragment, render_page, templates

router = APIRouter(include_in_schema=False)
EXPIRY_DAYS = (30, 90, 365)  # the choices on the form, besides "never"


@router.get("/account", response_class=HTMLResponse)
def read_account_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> HTMLResponse:
    """Your name and password, and what you use against your quotas (none without accounts)."""
    assert user.id is not None
    me = accounts.get_user(session, user.id)  # fresh: a name changed a moment ago shows
    context = {
        "me": me,
        "accounts": settings.accounts,
        "usage": usage(session, me),
        "quotas": limits(settings, me) if settings.accounts else None,
    }
    return render_page(request, "account", context)


def _tokens_context(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return {"tokens": accounts.list_tokens(session, user), "now": datetime.now(UTC)}


@router.get("/tokens", response_class=HTMLResponse)
def read_tokens_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> HTMLResponse:
    """Your API tokens and the form for a new one; only the list (#tokens-list) for htmx."""
    context = {
        **_tokens_context(session, user),
        "accounts": settings.accounts,
        "expiry_days": EXPIRY_DAYS,
    }
    return page_or_fragment(request, "tokens", "_tokens_list", "tokens-list", context)


class TokenForm(BaseModel):
    name: str = ""
    expires_in_days: str = ""  # empty: never


@router.post("/tokens", response_class=HTMLResponse)
def create_token_box(
    request: Request, form: Annotated[TokenForm, Form()], session: SessionDep, user: CurrentUser
) -> HTMLResponse:
    """Make a token: the answer shows it, once (it is never stored), and the list again."""
    days = blank_is_none(form.expires_in_days)
    body = checked(TokenCreate, {"name": form.name.strip(), "expires_in_days": days})
    created = accounts.create_token(session, user, body)
    context = {**_tokens_context(session, user), "created": created}
    response = templates.TemplateResponse(request, "partials/_token_created.html", context)
    response.headers["Cache-Control"] = "no-store"  # the only answer that holds the secret
    return response


@router.delete("/tokens/{token_id}", response_class=HTMLResponse)
def delete_token_row(token_id: Id, session: SessionDep, user: CurrentUser) -> HTMLResponse:
    """Revoke a token (another user's is a 404): its row goes, and the flash box says so."""
    names = {token.id: token.name for token in accounts.list_tokens(session, user).data}
    accounts.delete_token(session, user, token_id)
    flash = f"Revoked “{names[token_id]}”: a request with it is answered 401 from now on."
    return HTMLResponse(render_fragment("_flash_oob", {"message": flash, "kind": "ok"}))
