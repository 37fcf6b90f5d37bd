"""The executor interface: how queued runs get trained, wherever that happens.

A run is queued by a row in the database; `submit` only tells the executor there is work,
and `cancel` only tells it a run's `cancel_requested` flag is set. The state itself (the
queue, cancellation, each epoch) lives in the database, so an executor may train in local
processes or on other machines, and the web process never holds a handle on a training run.
"""

from __future__ import annotations

from typing import Any, Protocol


class Executor(Protocol):
    def start(self) -> None:
        """Start whatever trains (processes, a dispatcher); called once at server start-up."""

    def stop(self) -> None:
        """Stop training; runs still going become `interrupted` (resumable)."""

    def submit(self, run_id: int) -> None:
        """Run `run_id` was queued (or re-queued by resume): take it up when there is room."""

    def cancel(self, run_id: int) -> None:
        """Run `run_id`'s cancel flag is set: make it stop soon (its trainer also polls it)."""

    def describe(self) -> list[dict[str, Any]]:
        """What trains, for GET /api/health: one entry per worker."""
