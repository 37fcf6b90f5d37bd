"""The users page, for admins: everyone in a table, and a panel beside it that makes a user or
changes one (role, disabled, quotas, a new password). htmx forms post here; each answer is the
panel again, the table out of band and a flash in words. A member gets a 403 page.

Page routes rather than the JSON API from a script: the table is rendered here already, so a
change answers with the rows as the server now has them, and the forms need no script at all.
The decisions (email taken, not disabling yourself, ending sessions) are app.accounts'.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, field_validator
from sqlmodel import Session

from app.accounts import service as accounts
from app.api.params import Id
from app.config import Settings
from app.deps import CurrentUser, SessionDep, SettingsDep
from app.errors import Forbidden, NotFound, PreconditionFailed
from app.models import User, UserCreate, UserRole, UserUpdate
from app.web.forms import GB, blank_is_none, checked, gb_to_bytes
from app.web.templates import page_or_fragment, render_page, templates

router = APIRouter(include_in_schema=False)
LISTED = 500  # users on the page
ADMINS_ONLY = "Only an admin manages users: ask one if you need an account made or changed."


class UserForm(BaseModel):
    """What the panel's forms send (a new user, or every field of one being changed)."""

    email: str = ""
    display_name: str = ""
    role: str = UserRole.MEMBER
    password: str = ""  # changing a user: empty keeps the password
    disabled: bool = False  # an unticked box is not sent
    # Empty: the server's default (QUOTA_*).
    quota_active_runs: int | None = None
    quota_storage_gb: float | None = None
    quota_datasets: int | None = None
    # The version the form was opened at: a save is refused (412) if someone changed the user
    # since, so one admin's older form cannot undo another's change. Empty: overwrite.
    version: int | None = None

    @field_validator(
        "quota_active_runs", "quota_storage_gb", "quota_datasets", "version", mode="before"
    )
    @classmethod
    def _blank_is_default(cls, value: Any) -> Any:
        return blank_is_none(value)


def _context(
    session: SessionDep, settings: Settings, editing: User | None = None, new: int | None = None
) -> dict[str, Any]:
    return {
        "users": accounts.list_users(session, limit=LISTED),
        "editing": editing,  # the panel changes this user, or makes a new one
        "highlight": new,
        "accounts": settings.accounts,
        "roles": list(UserRole),
        "defaults": {
            "active_runs": settings.quota_active_runs,
            "storage_bytes": settings.quota_storage_bytes,
            "datasets": settings.quota_datasets,
        },
        "gb": GB,
    }


def _changed(request: Request, context: dict[str, Any], flash: str) -> HTMLResponse:
    """The panel, the table (out of band) and the flash box (out of band)."""
    context = {**context, "message": flash, "kind": "ok"}
    return templates.TemplateResponse(request, "partials/_users_changed.html", context)


def _admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden(ADMINS_ONLY)


@router.get("/users", response_class=HTMLResponse)
def read_users_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    edit: int | None = None,
) -> HTMLResponse:
    """Every user, and the panel (a new user, or `edit`'s); only the panel for htmx."""
    if not user.is_admin:
        context = {"message": ADMINS_ONLY, "back_url": "/account", "back_text": "Your account"}
        return render_page(request, "forbidden", context, status_code=403)
    try:
        editing = accounts.get_user(session, edit) if edit is not None else None
    except NotFound as error:
        context = {"message": error.message, "back_url": "/users", "back_text": "All users"}
        return render_page(request, "not_found", context, status_code=404)
    context = _context(session, settings, editing)
    return page_or_fragment(request, "users", "_user_panel", "user-panel", context)


@router.post("/users", response_class=HTMLResponse)
def create_user_row(
    request: Request,
    form: Annotated[UserForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> HTMLResponse:
    """Make a user with a first password (409 if the email is taken)."""
    _admin(user)
    fields = {"email": form.email, "display_name": form.display_name.strip(),
              "password": form.password, "role": form.role}  # fmt: skip
    made = accounts.create_user(session, checked(UserCreate, fields))
    flash = f"Made {made.email} ({made.role}). Give them their first password; they can change it."
    return _changed(request, _context(session, settings, new=made.id), flash)


@router.patch("/users/{user_id}", response_class=HTMLResponse)
def update_user_row(
    request: Request,
    user_id: Id,
    form: Annotated[UserForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> HTMLResponse:
    """Change a user (409 for disabling yourself); a new password or disabling signs them out."""
    _admin(user)
    fields: dict[str, Any] = {
        "display_name": form.display_name.strip(),
        "role": form.role,
        "disabled": form.disabled,
        "quota_active_runs": form.quota_active_runs,
        "quota_storage_bytes": gb_to_bytes(form.quota_storage_gb),
        "quota_datasets": form.quota_datasets,
    }
    if form.password:
        fields["password"] = form.password
    body = checked(UserUpdate, fields)
    versions = None if form.version is None else [form.version]
    try:
        changed = accounts.update_user(session, user, user_id, body, versions=versions)
    except PreconditionFailed as stale:
        raise _changed_meanwhile(session, user_id, stale) from None
    ended = " and signed out everywhere" if form.password or changed.disabled else ""
    flash = f"Saved {changed.email}{ended}."
    return _changed(request, _context(session, settings, changed), flash)


def _changed_meanwhile(session: Session, user_id: int, stale: PreconditionFailed) -> Exception:
    """The 412 in a person's words: the flash box shows it (static/js/hx-flash.js)."""
    now = accounts.get_user(session, user_id)
    return PreconditionFailed(
        f"Not saved: {now.email} was changed by someone else (another admin, another tab, or "
        f"themselves) since you opened this form; it is now at version {now.version}. Press "
        "Change on their row to load what is saved now, then make your changes again.",
        stale.headers,
    )
