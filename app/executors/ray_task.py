"""What runs on a Ray worker: one attempt at one run, reporting to the dispatcher.

The worker needs neither the database nor DATA_DIR: the job and the dataset's arrays come
as arguments (the arrays through the object store, put once per dataset), and everything it
has to say goes back through one queue the dispatcher drains. TensorFlow is imported by the
first attempt a worker process runs and stays imported: Ray keeps its worker processes and
gives them the next task, so later runs start warm.
"""

from __future__ import annotations

import os
import time
import traceback
from typing import Any

import ray
from ray.util.queue import Queue

from app.ml.job import Arrays, Job, Outcome
from app.models.enums import RunStatus

Result = tuple[RunStatus, Outcome | str | None]  # (COMPLETED, Outcome), (FAILED, why), ...
CANCEL_POLL_S = 0.1  # as the local worker's CancelFlag: a round trip of ~2 ms, 10 times a second


@ray.remote(num_cpus=0)
class Control:
    """The attempts the dispatcher asked to stop. A running task cannot be interrupted by
    ray.cancel without losing the epoch in hand, so the training callback asks here."""

    def __init__(self) -> None:
        self.stopped: set[tuple[int, int]] = set()

    def cancel(self, run_id: int, attempt: int) -> None:
        self.stopped.add((run_id, attempt))

    def forget(self, run_id: int, attempt: int) -> None:
        self.stopped.discard((run_id, attempt))

    def is_cancelled(self, run_id: int, attempt: int) -> bool:
        return (run_id, attempt) in self.stopped


class RaySink:
    """The Sink of app/ml/job.py, over the dispatcher's queue. Every message carries the run
    and the attempt: the dispatcher drops what a cut-off attempt still sends."""

    def __init__(self, job: Job, events: Queue, control: Any) -> None:
        self.key = (job.run_id, job.attempt)
        self.events, self.control = events, control
        self.next_poll, self.cancelled = 0.0, False

    def is_cancelled(self) -> bool:
        now = time.monotonic()
        if not self.cancelled and now >= self.next_poll:
            self.next_poll = now + CANCEL_POLL_S
            self.cancelled = ray.get(self.control.is_cancelled.remote(*self.key))
        return self.cancelled

    def progress(self, progress: dict[str, Any]) -> None:
        self.events.put(("progress", *self.key, progress))

    def epoch(
        self,
        epoch: int,
        logs: dict[str, float],
        checkpoint: bytes | None,
        weights: dict[str, Any] | None = None,
    ) -> None:
        # Blocking until the queue has it: epochs arrive in order, and none is lost while
        # this attempt lives. The histograms travel in the epoch's message (a few KB).
        self.events.put(("epoch", *self.key, epoch, logs, checkpoint, weights))


def train_attempt(job: Job, arrays: Arrays, events: Queue, control: Any) -> Result:
    """The Ray task: say where it runs, then train. How training ended comes back as a plain
    value, never as an exception: unpickling ours would make the dispatcher import Keras.
    Ray's own errors (a lost node, a killed worker) still reach the dispatcher as such."""
    node = ray.get_runtime_context().get_node_id()
    events.put(("started", *(job.run_id, job.attempt), node, os.getpid()))
    from app.ml.callbacks import Cancelled, NonFiniteLoss  # TensorFlow: once per worker
    from app.ml.training import train

    try:
        return RunStatus.COMPLETED, train(job, arrays, RaySink(job, events, control))
    except Cancelled:
        return RunStatus.CANCELLED, None
    except NonFiniteLoss as error:
        return RunStatus.FAILED, str(error)
    except Exception as error:
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        return RunStatus.FAILED, f"Training failed: {detail}"[:4000]
