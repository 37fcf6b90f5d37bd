"""Users, for admins: list, create, change role, disable, set quotas or a new password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response

from app.accounts import service
from app.api.params import Id, Limit, Offset, expected_versions
from app.api.responses import BODY, described
from app.deps import CurrentUser, SessionDep
from app.errors import Forbidden
from app.models import User, UserCreate, UserPublic, UsersPublic, UserUpdate


def admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("Only an admin manages users.")
    return user


AdminUser = Annotated[User, Depends(admin)]
router = APIRouter(
    prefix="/users", tags=["users"], responses=described({403: "Only an admin manages users"})
)
NOT_FOUND = described({404: "No such user"})
STALE = described(
    {412: "If-Match names another version: the answer says the current one (also its ETag)"}
)
IF_MATCH = Header(
    description='The version loaded, as its ETag ("3"): the change is refused with 412 if the '
    "user changed since. `*` or no If-Match changes whatever is saved.",
)


@router.get("", response_model=UsersPublic)
def read_users(
    _: AdminUser,
    session: SessionDep,
    offset: Offset = 0,
    limit: Limit = 100,
) -> Any:
    """Every user, oldest first."""
    return service.list_users(session, offset=offset, limit=limit)


@router.post(
    "", response_model=UserPublic, status_code=201, responses=BODY | described({409: "Email taken"})
)
def create_user(body: UserCreate, _: AdminUser, session: SessionDep) -> Any:
    """A new user (member or admin) with a first password."""
    return service.create_user(session, body)


@router.get("/{user_id}", response_model=UserPublic, responses=NOT_FOUND)
def read_user(user_id: Id, _: AdminUser, session: SessionDep, response: Response) -> Any:
    """One user; its ETag is its version, for If-Match on PATCH."""
    user = service.get_user(session, user_id)
    response.headers["ETag"] = f'"{user.version}"'
    return user


@router.patch(
    "/{user_id}",
    response_model=UserPublic,
    responses=BODY
    | NOT_FOUND
    | STALE
    | described({409: "You cannot disable yourself or take away your own admin role"}),
)
def update_user(
    user_id: Id,
    body: UserUpdate,
    admin: AdminUser,
    session: SessionDep,
    response: Response,
    if_match: Annotated[str | None, IF_MATCH] = None,
) -> Any:
    """Change a user's role, name, quotas, disabled flag or password (ends their sessions);
    with If-Match, only if the user is still at the version named."""
    versions = expected_versions(if_match)
    user = service.update_user(session, admin, user_id, body, versions=versions)
    response.headers["ETag"] = f'"{user.version}"'
    return user
