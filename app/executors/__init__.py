"""Executors train queued runs behind one interface: the local process pool (the default) or
a Ray cluster through a dispatcher process (EXECUTOR=ray)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from app.config import Settings
from app.executors.base import Executor
from app.executors.cluster import RayExecutor
from app.executors.local import LocalExecutor

EXECUTORS: dict[str, type[LocalExecutor] | type[RayExecutor]] = {
    "local": LocalExecutor,
    "ray": RayExecutor,
}


def make_executor(settings: Settings, engine: Engine) -> Executor:
    """The executor EXECUTOR names (not started)."""
    return EXECUTORS[settings.executor](settings, engine)


__all__ = ["Executor", "LocalExecutor", "RayExecutor", "make_executor"]
