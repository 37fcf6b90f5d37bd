"""Predictions in a warm process of their own: the web process decodes the image, this
process keeps trained models loaded (an LRU cache) and answers with one compiled call.

Separate from the training workers, so a run in progress never delays a prediction, and
separate from the web process, which never imports TensorFlow. Requests go over a pipe;
a reader thread hands each answer to the asyncio future that waits for it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import threading
from typing import Any

import numpy as np

log = logging.getLogger("layerstack.inference")


class PredictorUnavailable(RuntimeError):
    """The inference process could not answer; `died` tells a crash from a model error."""

    def __init__(self, message: str, died: bool = False) -> None:
        super().__init__(message)
        self.died = died


def serve(conn: Any, cache_size: int) -> None:
    """Process entry: this module imports no TensorFlow, so the web process can name it as
    a process target; the child imports app.ml.serving when it starts."""
    from app.processes import die_with_parent, quiet_tensorflow

    die_with_parent()
    quiet_tensorflow()
    from app.ml import serving

    serving.serve(conn, cache_size)


class Predictor:
    """The web process's handle on the inference process."""

    def __init__(self, cache_size: int) -> None:
        self.cache_size = cache_size
        self.context = multiprocessing.get_context("spawn")
        self.lock = threading.Lock()
        self.pending: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]] = {}
        self.ids = itertools.count()
        self.conn: Any = None
        self.process: Any = None

    def start(self) -> None:
        ours, theirs = self.context.Pipe()
        self.process = self.context.Process(
            target=serve, args=(theirs, self.cache_size), name="predictor", daemon=True
        )
        self.process.start()
        theirs.close()
        self.conn = ours
        threading.Thread(target=self._read, args=(ours,), daemon=True).start()

    def _read(self, conn: Any) -> None:
        while True:
            try:
                request_id, ok, result = conn.recv()
            except (EOFError, OSError):
                break
            with self.lock:
                waiting = self.pending.pop(request_id, None)
            if waiting is not None:
                loop, future = waiting
                loop.call_soon_threadsafe(_settle, future, ok, result)
        self._crashed(conn)

    def _crashed(self, conn: Any) -> None:
        with self.lock:
            if conn is not self.conn:
                return  # stopped on purpose, or already replaced
            failed, self.pending = self.pending, {}
            log.warning("the predictor process died; starting a new one")
            self.start()
        for loop, future in failed.values():
            loop.call_soon_threadsafe(_settle, future, False, ("the predictor process died", True))

    async def call(self, kind: str, run_id: int, payload: Any = None) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self.lock:
            request_id = next(self.ids)
            self.pending[request_id] = (loop, future)
            try:
                self.conn.send((request_id, kind, run_id, payload))
            except (OSError, ValueError) as error:
                self.pending.pop(request_id, None)
                raise PredictorUnavailable(
                    f"the predictor is not running: {error}", True
                ) from error
        return await future

    async def predict(self, run_id: int, model_path: str, batch: np.ndarray) -> np.ndarray:
        result: np.ndarray = await self.call("predict", run_id, (model_path, batch))
        return result

    def evict(self, run_id: int) -> None:
        """Forget a deleted run's model (fire and forget)."""
        with self.lock:
            if self.conn is not None:
                self.conn.send((next(self.ids), "evict", run_id, None))

    def stop(self) -> None:
        with self.lock:
            conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()
        if self.process is not None:
            self.process.terminate()  # holds no state worth a graceful goodbye
            self.process.join(timeout=5)
            if self.process.is_alive():
                self.process.kill()


def _settle(future: asyncio.Future[Any], ok: bool, result: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(result)
    else:
        message, died = result
        future.set_exception(PredictorUnavailable(message, died))
