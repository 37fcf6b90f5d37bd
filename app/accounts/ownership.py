"""Who sees what: a member sees their own objects (and built-in datasets), an admin sees
everyone's. Everything not visible is answered as if it did not exist (404): whether
another user's object exists is private too."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import col, or_
from sqlmodel.sql.expression import SelectOfScalar

from app.models import User

T = TypeVar("T")


def visible(
    query: SelectOfScalar[T], table: Any, user: User, shared: Any = None
) -> SelectOfScalar[T]:
    """`query` limited to rows `user` may see; `shared` marks rows everyone may read."""
    if user.is_admin:
        return query
    mine = col(table.owner_id) == user.id
    return query.where(or_(mine, shared) if shared is not None else mine)


def can_see(row: Any, user: User, shared: bool = False) -> bool:
    return user.is_admin or shared or row.owner_id == user.id
