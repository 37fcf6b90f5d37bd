"""The Ray dispatcher: the one process that drives a Ray cluster for Layerstack.

It holds the "dispatcher" lease in the database (so of several dispatchers, one acts),
claims queued runs the cluster has room for, submits each as a Ray task with the resources
it asks, relays what the task reports (progress, each epoch with its checkpoint) into the
database and DATA_DIR exactly as a local worker would, and writes the model when the task
returns. The cluster stays stateless compute: its workers never see the database or
DATA_DIR. A run whose node or worker is lost is retried from its last checkpoint (RUN_RETRIES);
a message from a cut-off attempt is dropped (each carries its attempt number).

Started by the server (EXECUTOR=ray) as a child process, or on another host with
`python -m app dispatch`. This module imports no TensorFlow: the dispatcher stays light.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.util.queue import Empty, Queue
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import make_engine
from app.executors import lease
from app.executors.bell import Listener, Silent
from app.executors.placement import Ask, alive_nodes, ask_of, room_for, why_not
from app.executors.ray_task import Control, train_attempt
from app.ml.job import Outcome
from app.models import Run, RunStatus
from app.runs import attempts, epochs, state

log = logging.getLogger("layerstack.dispatcher")

LEASE = "dispatcher"
LEASE_TTL_S = 10.0
LEASE_RENEW_S = 2.0
TICK_S = 0.05  # between rounds: drain events, collect finished tasks
PLACE_EVERY_S = 0.5  # look at the queue (sooner when the server says a run was queued)
NODES_EVERY_S = 2.0
CANCEL_POLL_S = 0.1
CANCEL_GRACE_S = 10.0  # then ray.cancel(force=True): the task did not stop by itself
DATASETS_KEPT = 4  # datasets kept in the object store for the next runs


@dataclass
class Attempt:
    run_id: int
    number: int
    ask: Ask
    ref: Any  # the task's ObjectRef
    node: str = ""
    cancel_sent: float | None = None
    started: float = field(default_factory=time.monotonic)


class Dispatcher:
    def __init__(self, settings: Settings, name: str | None = None) -> None:
        self.settings = settings
        self.name = name or f"dispatcher-{uuid.uuid4().hex[:8]}"
        self.engine = make_engine(settings.db_url)
        self.paths = settings.paths
        self.attempts: dict[int, Attempt] = {}
        self.datasets: OrderedDict[int, Any] = OrderedDict()  # dataset id -> ObjectRef
        self.waiting: dict[int, str | None] = {}
        self.nodes: list[dict[str, float]] = []
        self.node_names: dict[str, str] = {}
        self.clock = {"lease": 0.0, "place": 0.0, "nodes": 0.0, "cancel": 0.0}
        self.holding = False

    # -- life ---------------------------------------------------------------------------------

    def connect(self) -> None:
        ray.init(
            address=self.settings.ray_address or None,
            namespace="layerstack",
            log_to_driver=False,
            configure_logging=False,
        )
        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
        # The queue and the control actor live beside this driver: a node lost elsewhere
        # takes neither with it.
        self.events = Queue(actor_options={"num_cpus": 0, "scheduling_strategy": here})
        self.control = Control.options(scheduling_strategy=here).remote()  # type: ignore[attr-defined]
        self.train = ray.remote(max_retries=0)(train_attempt)

    def serve(self, bell: Listener | Silent) -> None:
        """Dispatch until the bell says stop; a ring says a run was queued or cancelled."""
        self.connect()
        woken = False
        try:
            while not bell.stopped:
                now = time.monotonic()
                if now >= self.clock["lease"]:
                    self.clock["lease"] = now + LEASE_RENEW_S
                    if not self._hold_lease():
                        bell.wait(LEASE_RENEW_S)
                        continue
                self.round(woken)
                woken = bell.wait(TICK_S)
        finally:
            self.close()

    def round(self, woken: bool = False) -> None:
        """One pass: place queued runs, relay events, collect finished tasks, pass cancels."""
        now = time.monotonic()
        if woken or now >= self.clock["place"]:
            self.clock["place"] = now + PLACE_EVERY_S
            self._place()
        self._relay()
        self._collect()
        if now >= self.clock["cancel"]:
            self.clock["cancel"] = now + CANCEL_POLL_S
            self._cancel()

    def close(self) -> None:
        for attempt in list(self.attempts.values()):
            ray.cancel(attempt.ref, force=True)
        attempts.interrupt_worker_runs(self.engine, self.name, _interrupted())
        if self.holding:
            lease.release(self.engine, LEASE, self.name)
        ray.shutdown()

    def _hold_lease(self) -> bool:
        previous = lease.hold(self.engine, LEASE, self.name, LEASE_TTL_S)
        if previous is None:
            if self.holding:  # lost it: someone took over after we stalled; stop acting
                log.warning("%s lost the dispatcher lease; stopping its runs", self.name)
                for attempt in list(self.attempts.values()):
                    ray.cancel(attempt.ref, force=True)
                self.attempts.clear()
            self.holding = False
            return False
        if previous not in ("", self.name):  # the one before us died: its tasks died with it
            attempts.interrupt_worker_runs(self.engine, previous, _interrupted())
        self.holding = True
        return True

    # -- placing ------------------------------------------------------------------------------

    def _refresh_nodes(self) -> None:
        now = time.monotonic()
        if now < self.clock["nodes"]:
            return
        self.clock["nodes"] = now + NODES_EVERY_S
        listed = ray.nodes()
        self.nodes = alive_nodes(listed)
        self.node_names = {
            n["NodeID"]: f"{n['NodeID'][:12]} ({n.get('NodeManagerAddress', '?')})" for n in listed
        }

    def _place(self) -> None:
        self._refresh_nodes()
        with Session(self.engine) as session:
            queued = session.exec(
                select(Run.id, Run.fit)
                .where(Run.status == RunStatus.QUEUED)
                .order_by(col(Run.id))
                .limit(state.QUEUE_LOOKAHEAD)
            ).all()
        asks = {run_id: ask_of(fit, self.settings) for run_id, fit in queued if run_id}
        while True:  # the fairest of the runs there is room for, until there is none
            blocked = self._blocked(asks)
            run_id = state.claim_next(self.engine, self.name, skip=blocked)
            if run_id is None:
                break
            self._submit(run_id, asks.get(run_id) or self._ask(run_id))
        blocked = self._blocked(asks)
        for run_id in asks:
            reason = blocked.get(run_id)
            if run_id not in self.attempts and self.waiting.get(run_id) != reason:
                attempts.set_waiting(self.engine, run_id, reason)
                self.waiting[run_id] = reason

    def _blocked(self, asks: dict[int, Ask]) -> dict[int, str]:
        """The queued runs that cannot start now, and why (what GET /api/runs/{id} shows)."""
        running = [a.ask for a in self.attempts.values()]
        blocked: dict[int, str] = {}
        for run_id, ask in asks.items():
            if run_id in self.attempts:
                continue
            reason = why_not(ask, self.nodes)
            if reason is None and not room_for(ask, running, self.nodes):
                reason = (
                    f"room on the cluster: it asks {ask.describe()}, and the runs training "
                    f"now hold the rest; it starts when one of them ends"
                )
            if reason is not None:
                blocked[run_id] = reason
        return blocked

    def _ask(self, run_id: int) -> Ask:
        with Session(self.engine) as session:
            run = session.get(Run, run_id)
            return ask_of(run.fit if run else {}, self.settings)

    def _arrays(self, dataset_id: int | None) -> Any:
        """The dataset's arrays in the object store, put once and reused by later runs."""
        if dataset_id is not None and dataset_id in self.datasets:
            self.datasets.move_to_end(dataset_id)
            return self.datasets[dataset_id]
        ref = ray.put(epochs.dataset_arrays(self.paths, dataset_id))  # LookupError if deleted
        assert dataset_id is not None
        self.datasets[dataset_id] = ref
        while len(self.datasets) > DATASETS_KEPT:
            self.datasets.popitem(last=False)
        return ref

    def _submit(self, run_id: int, ask: Ask) -> None:
        """Submit the run's next attempt (claimed, `running`), from its last committed epoch
        that has a checkpoint. The attempt is recorded first: the epochs it sends count only
        while it is the run's current one."""
        try:
            run = epochs.load_run(self.engine, run_id)
            number = run.attempt + 1
            attempts.begin(self.engine, run_id, number, self.name)
            run.attempt = number
            job = epochs.job_for(self.engine, self.paths, run, attempt=number)
            arrays = self._arrays(run.dataset_id)
        except Exception as error:  # the run or its dataset was deleted meanwhile, a full disk
            epochs.finish_other(
                self.engine, self.paths, run_id, RunStatus.FAILED, epochs.failure(error)
            )
            return
        options: dict[str, Any] = {
            "num_cpus": ask.cpus,
            "num_gpus": ask.gpus,
            "name": f"layerstack-run-{run_id}-attempt-{number}",
        }
        if ask.memory:
            options["memory"] = ask.memory
        if ask.custom:
            options["resources"] = ask.custom
        ref = self.train.options(**options).remote(job, arrays, self.events, self.control)
        self.attempts[run_id] = Attempt(run_id, number, ask, ref)
        self.waiting.pop(run_id, None)
        log.info("run %s: attempt %s submitted (%s)", run_id, number, ask.describe())

    # -- what the tasks say -------------------------------------------------------------------

    def _current(self, run_id: int, number: int) -> Attempt | None:
        attempt = self.attempts.get(run_id)
        return attempt if attempt is not None and attempt.number == number else None

    def _relay(self) -> None:
        while True:
            try:
                size = self.events.qsize()
                items = self.events.get_nowait_batch(size) if size else []
            except Empty:
                items = []
            if not items:
                return
            for kind, run_id, number, *rest in items:
                attempt = self._current(run_id, number)
                if attempt is None:
                    continue  # a cut-off attempt still talking: its word no longer counts
                if kind == "started":
                    node, pid = rest
                    attempt.node = f"{self.node_names.get(node, node[:12])}, worker pid {pid}"
                    attempts.placed(self.engine, run_id, number, attempt.node)
                elif kind == "progress":
                    state.set_progress(self.engine, run_id, rest[0])
                elif kind == "epoch":
                    # Weight histograms last; a worker of an older release sends none.
                    epoch, logs, checkpoint, *weights = rest
                    try:
                        epochs.commit_epoch(
                            self.engine, self.paths, run_id, epoch, logs, checkpoint, number,
                            weights=weights[0] if weights else None,
                        )  # fmt: skip
                    except Exception as error:  # a full disk: the run stops, saying so
                        self._abandon(attempt, epochs.failure(error))

    def _collect(self) -> None:
        if not self.attempts:
            return
        by_ref = {a.ref: a for a in self.attempts.values()}
        done, _ = ray.wait(list(by_ref), num_returns=len(by_ref), timeout=0)
        if not done:
            return
        self._relay()  # the last epochs were sent before the task returned
        for ref in done:
            self._finish(by_ref[ref])

    def _abandon(self, attempt: Attempt, why: str) -> None:
        """Stop an attempt the dispatcher cannot follow any more; the run fails with `why`."""
        self.attempts.pop(attempt.run_id, None)
        ray.cancel(attempt.ref, force=True)
        epochs.finish_other(self.engine, self.paths, attempt.run_id, RunStatus.FAILED, why)

    def _finish(self, attempt: Attempt) -> None:
        run_id = attempt.run_id
        del self.attempts[run_id]
        self.control.forget.remote(run_id, attempt.number)
        try:
            kind, value = ray.get(attempt.ref)
        except ray.exceptions.TaskCancelledError:
            kind, value = RunStatus.CANCELLED, None
        except ray.exceptions.RayTaskError as error:  # our wrapper catches training errors
            kind, value = RunStatus.FAILED, f"Training failed: {error}"[:4000]
        except ray.exceptions.RayError as error:  # the node or the worker was lost
            if attempt.cancel_sent is not None:
                kind, value = RunStatus.CANCELLED, None
            else:
                self._lost(attempt, error)
                return
        if kind == RunStatus.COMPLETED:
            assert isinstance(value, Outcome)
            epochs.finish_completed(self.engine, self.paths, run_id, value)
        elif kind == RunStatus.CANCELLED:
            epochs.finish_other(self.engine, self.paths, run_id, RunStatus.CANCELLED, None)
        else:
            epochs.finish_other(self.engine, self.paths, run_id, RunStatus.FAILED, str(value))
        log.info("run %s: attempt %s ended %s", run_id, attempt.number, kind)

    def _lost(self, attempt: Attempt, error: Exception) -> None:
        where = f"node {attempt.node}" if attempt.node else "its node"
        cause = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
        if attempt.number <= self.settings.run_retries:
            log.warning("run %s: attempt %s lost on %s (%s); retrying", attempt.run_id,
                        attempt.number, where, cause)  # fmt: skip
            self._submit(attempt.run_id, attempt.ask)
            return
        tries = attempt.number
        message = (
            f"The run was lost {tries} time{'s' if tries > 1 else ''} (RUN_RETRIES="
            f"{self.settings.run_retries}); the last time on {where}: {cause}. Its completed "
            f"epochs and the last checkpoint are kept."
        )
        epochs.finish_other(self.engine, self.paths, attempt.run_id, RunStatus.FAILED, message)

    def _cancel(self) -> None:
        if not self.attempts:
            return
        with Session(self.engine) as session:
            asked = set(
                session.exec(
                    select(Run.id).where(
                        col(Run.id).in_(list(self.attempts)), col(Run.cancel_requested)
                    )
                ).all()
            )
        now = time.monotonic()
        for run_id in asked:
            attempt = self.attempts.get(run_id)  # type: ignore[arg-type]
            if attempt is None:
                continue
            if attempt.cancel_sent is None:
                attempt.cancel_sent = now
                self.control.cancel.remote(run_id, attempt.number)
            elif now - attempt.cancel_sent > CANCEL_GRACE_S:
                ray.cancel(attempt.ref, force=True)


def _interrupted() -> str:
    return (
        "The dispatcher training this run stopped; resume to continue from the last "
        "completed epoch."
    )


def main(settings: Settings, name: str, bell_end: Any) -> None:
    """Process entry (the server's child): dispatch until the server closes its end of the
    bell (app/executors/bell.py) or is gone."""
    from app.processes import die_with_parent

    die_with_parent()
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    Dispatcher(settings, name).serve(Listener(bell_end))
