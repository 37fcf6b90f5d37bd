"""Is the server well: its workers and the queue."""

from typing import Any

from fastapi import APIRouter

from app.deps import ExecutorDep, SessionDep
from app.runs.service import queue_counts

router = APIRouter(tags=["health"])


@router.get("/health")
def read_health(session: SessionDep, executor: ExecutorDep) -> dict[str, Any]:
    """Worker processes (name -> pid, alive; empty where another web process runs the
    executor), which process runs the executor, and how many runs wait or train."""
    return {
        "status": "ok",
        "executor": executor.role,
        "workers": executor.describe(),
        "runs": queue_counts(session),
    }
