"""A lease in the database: one holder at a time, renewed while it lives, taken over once it
expires. The Ray dispatcher holds one, so several web processes (or a `python -m app
dispatch` on another host) can start dispatchers against one database and only one acts.

Times are this process's (`clock`, utcnow unless told), bound as parameters, never the
database's now(): the same on SQLite and PostgreSQL, and a test can move the clock on
instead of sleeping past a TTL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.models import Lease, utcnow


def hold(
    engine: Engine,
    name: str,
    holder: str,
    ttl_s: float,
    clock: Callable[[], datetime] = utcnow,
) -> str | None:
    """Take or renew the lease `name` for `ttl_s` seconds. None when someone else holds it;
    else the previous holder (`holder` itself on a renewal, "" for a new lease), so a new
    holder can clean up after one that died."""
    now = clock()
    until = now + timedelta(seconds=ttl_s)
    with Session(engine) as session:
        previous = session.exec(select(Lease.holder).where(Lease.name == name)).first()
        if previous is None:
            session.add(Lease(name=name, holder=holder, expires_at=until))
            try:
                session.commit()
            except IntegrityError:  # another one inserted it first
                return None
            return ""
        taken = session.execute(
            update(Lease)
            .where(
                col(Lease.name) == name,
                col(Lease.holder) == previous,  # unchanged since we read it
                or_(col(Lease.holder) == holder, col(Lease.expires_at) < now),
            )
            .values(holder=holder, expires_at=until)
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
    return previous if taken else None


def release(engine: Engine, name: str, holder: str) -> None:
    with Session(engine) as session:
        session.execute(delete(Lease).where(col(Lease.name) == name, col(Lease.holder) == holder))
        session.commit()


def holder_of(
    engine: Engine, name: str, live: bool = False, clock: Callable[[], datetime] = utcnow
) -> str | None:
    """Who holds the lease `name` (with `live`, only if it has not expired); None: nobody."""
    query = select(Lease.holder).where(Lease.name == name)
    if live:
        query = query.where(col(Lease.expires_at) >= clock())
    with Session(engine) as session:
        return session.exec(query).first()
