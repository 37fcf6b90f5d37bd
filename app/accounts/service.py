"""Accounts as the API, the pages and the command line use them: the local user, the first
admin, signing in and out, sessions and tokens to a user, users for admins, and the user's
own account. Another user's token is a 404, like any object that is not yours."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, func, select

from app.accounts.cache import signed_in
from app.accounts.passwords import hash_password, verify_password
from app.accounts.throttle import Throttle
from app.accounts.tokens import PREFIX_SHOWN, digest, new_secret, new_token
from app.catalog.problems import invalid
from app.config import Settings
from app.errors import Conflict, NotFound, NotSignedIn, PreconditionFailed, TooManyTries
from app.models import (
    ApiToken,
    MeUpdate,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    TokensPublic,
    User,
    UserCreate,
    UserRole,
    UsersPublic,
    UserUpdate,
    WebSession,
    utcnow,
)
from app.models.common import as_utc
from app.versioning import update_if_at

LOCAL_EMAIL = "local@localhost"  # the implicit user of AUTH=none (see migration 0004)
WRONG = "Wrong email or password."  # the same for an unknown email: existence stays private
TOUCH_EVERY = timedelta(minutes=1)  # last-seen times are written at most this often


def ensure_local_user(session: Session) -> User:
    """The one implicit user of AUTH=none (an admin): it owns everything made on a laptop."""
    user = session.exec(select(User).where(col(User.is_local).is_(True))).first()
    if user is None:
        user = User(
            email=LOCAL_EMAIL, display_name="Local user", role=UserRole.ADMIN, is_local=True
        )
        session.add(user)
        session.commit()
        session.refresh(user)
    return user


def has_accounts(session: Session) -> bool:
    """Whether anyone can sign in yet (a user with a password)."""
    query = select(func.count()).select_from(User).where(col(User.password_hash).is_not(None))
    return bool(session.exec(query).one())


def ensure_first_admin(session: Session, settings: Settings) -> User | None:
    """In accounts mode, ADMIN_EMAIL + ADMIN_PASSWORD make the first admin when nobody can
    sign in yet; the local user becomes that admin, so a laptop's work is kept."""
    if has_accounts(session) or not (settings.admin_email and settings.admin_password):
        return None
    password = settings.admin_password.get_secret_value()
    body = UserCreate(
        email=settings.admin_email, password=password, display_name="Admin", role=UserRole.ADMIN
    )
    return create_user(session, body)


def create_user(session: Session, body: UserCreate) -> User:
    """A new user; the first one with a password takes over the local user's row (and work)."""
    email = body.email.strip().lower()
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict(f"A user with email {email!r} already exists.")
    local = session.exec(select(User).where(col(User.is_local).is_(True))).first()
    user = local if local is not None and not has_accounts(session) else User(email=email)
    if user.id is not None:  # the local user's row, changed: an older form of it is stale
        user.version += 1
    user.sqlmodel_update(
        {
            "email": email,
            "display_name": body.display_name or email.split("@")[0],
            "role": UserRole.ADMIN if user.is_local else body.role,
            "password_hash": hash_password(body.password),
        }
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def sign_in(
    session: Session, throttle: Throttle, email: str, password: str, address: str
) -> tuple[User, str]:
    """(user, the session secret for the cookie); 401 for a wrong email or password, the same
    words either way; 429 after too many wrong tries."""
    email = email.strip().lower()
    wait = throttle.retry_after(email, address)
    if wait is not None:
        raise TooManyTries(f"Too many wrong passwords: try again in {wait} s.", wait)
    user = session.exec(select(User).where(User.email == email)).first()
    if not verify_password(password, user.password_hash if user else None) or user is None:
        throttle.failed(email, address)
        raise NotSignedIn(WRONG)
    if user.disabled:
        raise NotSignedIn(f"{WRONG} (or the account is disabled: ask an admin).")
    throttle.succeeded(email)
    secret = new_secret()
    assert user.id is not None
    session.add(WebSession(id=digest(secret), user_id=user.id))
    user.last_seen_at = utcnow()
    session.add(user)
    session.commit()
    session.refresh(user)
    return user, secret


def sign_out(session: Session, secret: str) -> None:
    signed_in.forget(digest(secret))
    session.execute(delete(WebSession).where(col(WebSession.id) == digest(secret)))
    session.commit()


def end_sessions(session: Session, user_id: int, keep: str | None = None) -> None:
    """Sign a user out everywhere (but the session `keep`, the one asking)."""
    signed_in.forget_user(user_id)
    query = delete(WebSession).where(col(WebSession.user_id) == user_id)
    if keep is not None:
        query = query.where(col(WebSession.id) != digest(keep))
    session.execute(query)
    session.commit()


def _touch(session: Session, row: WebSession | ApiToken | User, field: str, now: datetime) -> None:
    seen = getattr(row, field)
    if seen is None or now - as_utc(seen) > TOUCH_EVERY:
        session.execute(update(type(row)).where(type(row).id == row.id).values({field: now}))  # type: ignore[arg-type]
        session.commit()


def user_for_session(session: Session, settings: Settings, secret: str) -> User | None:
    """The signed-in user, if the session exists, is within its lifetimes and the user is
    enabled; an expired session is removed."""
    row = session.get(WebSession, digest(secret))
    if row is None:
        return None
    now = utcnow()
    idle = timedelta(hours=settings.session_idle_hours)
    absolute = timedelta(days=settings.session_max_days)
    if now - as_utc(row.last_seen_at) > idle or now - as_utc(row.created_at) > absolute:
        session.delete(row)
        session.commit()
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    _touch(session, row, "last_seen_at", now)
    _touch(session, user, "last_seen_at", now)
    return user


def user_for_token(session: Session, token: str) -> User | None:
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(token))).first()
    now = utcnow()
    if row is None or (row.expires_at is not None and as_utc(row.expires_at) <= now):
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    _touch(session, row, "last_used_at", now)
    return user


def create_token(session: Session, user: User, body: TokenCreate) -> TokenCreated:
    assert user.id is not None
    token = new_token()
    days = body.expires_in_days
    row = ApiToken(
        user_id=user.id,
        name=body.name,
        prefix=token[:PREFIX_SHOWN],
        token_hash=digest(token),
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return TokenCreated(**TokenPublic.model_validate(row).model_dump(), token=token)


def list_tokens(session: Session, user: User) -> TokensPublic:
    rows = session.exec(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.id).desc())
    ).all()
    return TokensPublic(data=[TokenPublic.model_validate(r) for r in rows], count=len(rows))


def delete_token(session: Session, user: User, token_id: int) -> None:
    """Revoke a token at once; another user's token is a 404."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(f"No API token with id {token_id}.")
    signed_in.forget(row.token_hash)
    session.delete(row)
    session.commit()


def list_users(session: Session, *, offset: int = 0, limit: int = 100) -> UsersPublic:
    count = session.exec(select(func.count()).select_from(User)).one()
    rows = session.exec(select(User).order_by(col(User.id)).offset(offset).limit(limit)).all()
    return UsersPublic(data=rows, count=count)  # type: ignore[arg-type]


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


NOT_NULL = ("display_name", "role", "disabled")


def update_user(
    session: Session,
    admin: User,
    user_id: int,
    body: UserUpdate,
    *,
    versions: list[int] | None = None,
) -> User:
    """An admin changes a user if it is still at one of `versions` (None: any); a new password
    or disabling ends that user's sessions."""
    get_user(session, user_id)  # 404 before anything else
    changes = body.model_dump(exclude_unset=True)
    for field in NOT_NULL:  # null there means "leave as is" (null quotas mean the default)
        if field in changes and changes[field] is None:
            del changes[field]
    if user_id == admin.id and (changes.get("disabled") or changes.get("role") == UserRole.MEMBER):
        raise Conflict("You cannot disable yourself or take away your own admin role.")
    password = changes.pop("password", None)
    if password is not None:
        changes["password_hash"] = hash_password(password)
    user = _save_user(session, user_id, changes, versions, f"/api/users/{user_id}")
    signed_in.forget_user(user.id)  # role, quotas or the disabled flag take effect now
    if password is not None or user.disabled:
        end_sessions(session, user_id)
    return user


def update_me(
    session: Session,
    user: User,
    body: MeUpdate,
    current: str | None,
    *,
    versions: list[int] | None = None,
) -> User:
    """A user's own display name or password (the current one required; other sessions end),
    if their account is still at one of `versions` (None: any)."""
    assert user.id is not None
    changes: dict[str, Any] = {}
    if body.display_name is not None:
        changes["display_name"] = body.display_name
    if body.new_password is not None:
        if not body.current_password or not verify_password(
            body.current_password, user.password_hash
        ):
            raise invalid(
                ("current_password",),
                "The current password is wrong, so the password was not changed.",
                "current_password",
            )
        changes["password_hash"] = hash_password(body.new_password)
    saved = _save_user(session, user.id, changes, versions, "/api/me")
    signed_in.forget_user(user.id)  # the new name shows on the next page, not in 5 s
    if body.new_password is not None:
        end_sessions(session, user.id, keep=current)
    return saved


def _save_user(
    session: Session,
    user_id: int,
    changes: dict[str, Any],
    versions: list[int] | None,
    url: str,
) -> User:
    """Write `changes` and bump the version in one UPDATE, made only while the user is at one
    of `versions`: of two changes that loaded the same version, one wins and one is a 412."""
    changed = update_if_at(session, User, user_id, versions, changes)
    user = get_user(session, user_id)
    session.refresh(user)
    if not changed:
        raise _changed_elsewhere(user, versions or [], url)
    return user


def _changed_elsewhere(user: User, versions: list[int], url: str) -> PreconditionFailed:
    current, sent = user.version, ", ".join(f'"{v}"' for v in versions) or "no version"
    who = "Your account" if url == "/api/me" else f"User {user.id} ({user.email})"
    return PreconditionFailed(
        f"{who} changed since it was loaded: If-Match named {sent}, it is now at version "
        f"{current}. Nothing was saved. Reload it (GET {url}) and make your changes again, "
        f'or PATCH again with If-Match: "{current}" (or without If-Match) to overwrite it '
        "with yours.",
        {"ETag": f'"{current}"'},
    )
