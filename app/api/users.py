"""Users, for admins: list, create, change role, disable, set quotas or a new password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from app.accounts import service
from app.api.params import Id, Limit, Offset
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


@router.patch(
    "/{user_id}",
    response_model=UserPublic,
    responses=BODY
    | described(
        {404: "No such user", 409: "You cannot disable yourself or take away your own admin role"}
    ),
)
def update_user(user_id: Id, body: UserUpdate, admin: AdminUser, session: SessionDep) -> Any:
    """Change a user's role, name, quotas, disabled flag or password (ends their sessions)."""
    return service.update_user(session, admin, user_id, body)
