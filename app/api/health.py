"""Is the server well: its workers and the queue."""

from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import func, select

from app.deps import SessionDep
from app.models import Run

router = APIRouter(tags=["health"])


@router.get("/health")
def read_health(request: Request, session: SessionDep) -> dict[str, Any]:
    """Worker processes (name -> pid, alive) and how many runs wait or train."""
    pool = request.app.state.pool
    counts = dict(session.exec(select(Run.status, func.count()).group_by(Run.status)).all())
    return {
        "status": "ok",
        "workers": pool.describe() if pool else [],
        "runs": {status: counts.get(status, 0) for status in ("queued", "running")},
    }
