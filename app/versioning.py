"""Objects that carry a version (architectures, users): a change is written and the version
bumped in one conditional UPDATE, so of two changes that loaded the same version one wins
and the other learns it lost (412), instead of silently replacing the newer one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col


def update_if_at(
    session: Session, model: Any, object_id: int, versions: list[int] | None, values: dict
) -> bool:
    """Write `values` to row `object_id` of `model` and bump its version, only while it is at
    one of `versions` (None: any). True if it was written; committed either way."""
    statement = update(model).where(col(model.id) == object_id)
    if versions is not None:
        statement = statement.where(col(model.version).in_(versions))
    statement = statement.values(version=col(model.version) + 1, **values)
    changed = session.execute(statement).rowcount  # type: ignore[attr-defined]
    session.commit()
    return bool(changed)
