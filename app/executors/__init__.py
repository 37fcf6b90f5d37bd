"""Executors train queued runs: the local process pool (the default) behind one interface."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from app.config import Settings
from app.executors.base import Executor
from app.executors.local import LocalExecutor

EXECUTORS: dict[str, type[LocalExecutor]] = {"local": LocalExecutor}


def make_executor(settings: Settings, engine: Engine) -> Executor:
    """The executor EXECUTOR names (not started)."""
    return EXECUTORS[settings.executor](settings, engine)


__all__ = ["Executor", "LocalExecutor", "make_executor"]
