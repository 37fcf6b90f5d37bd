"""Signing in and out, and the signed-in user's own account (GET/PATCH /api/me)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from app.accounts import service
from app.accounts.quotas import limits, usage
from app.api.params import expected_versions
from app.api.responses import BODY, described
from app.deps import SESSION_COOKIE, CurrentUser, SessionDep, SettingsDep, ThrottleDep
from app.models import MePublic, MeUpdate, SignIn, User, UserPublic

router = APIRouter(tags=["session"])
IF_MATCH = Header(
    description='The version loaded, as its ETag ("3"): the change is refused with 412 if your '
    "account changed since (in another tab, or by an admin). `*` or no If-Match changes it anyway.",
)


@router.post(
    "/session",
    response_model=UserPublic,
    responses=BODY
    | described(
        {401: "Wrong email or password", 429: "Too many wrong passwords (see Retry-After)"}
    ),
)
def create_session(
    body: SignIn,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    throttle: ThrottleDep,
) -> Any:
    """Sign in: a session cookie (HttpOnly, SameSite=Lax) for the browser that asked."""
    address = request.client.host if request.client else "unknown"
    user, secret = service.sign_in(session, throttle, body.email, body.password, address)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(settings.session_max_days * 86400),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return user


@router.delete("/session", status_code=204)
def delete_session(request: Request, session: SessionDep) -> Response:
    """Sign out: this browser's session ends at once (nothing happens without one)."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        service.sign_out(session, secret)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _me(session: SessionDep, settings: SettingsDep, user: User, response: Response) -> MePublic:
    fresh = session.get(User, user.id) or user
    response.headers["ETag"] = f'"{fresh.version}"'
    return MePublic(
        **UserPublic.model_validate(fresh).model_dump(),
        usage=usage(session, fresh),
        quotas=limits(settings, fresh),
        auth=settings.auth or "none",
    )


@router.get("/me", response_model=MePublic, responses=described({401: "Not signed in"}))
def read_me(
    user: CurrentUser, session: SessionDep, settings: SettingsDep, response: Response
) -> Any:
    """Who is signed in, their role, and what they use against their quotas; the ETag is the
    account's version, for If-Match on PATCH."""
    return _me(session, settings, user, response)


@router.patch(
    "/me",
    response_model=MePublic,
    responses=BODY
    | described(
        {
            401: "Not signed in",
            412: "If-Match names another version: the answer says the current one (its ETag)",
            422: "The body is not valid, or the current password is wrong",
        }
    ),
)
def update_me(
    body: MeUpdate,
    user: CurrentUser,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    if_match: Annotated[str | None, IF_MATCH] = None,
) -> Any:
    """Change your display name, or your password (the current one is needed; your other
    sessions end); with If-Match, only if your account is still at the version named."""
    fresh = session.get(User, user.id) or user
    versions = expected_versions(if_match)
    cookie = request.cookies.get(SESSION_COOKIE)
    saved = service.update_me(session, fresh, body, cookie, versions=versions)
    return _me(session, settings, saved, response)
