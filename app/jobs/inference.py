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
from collections import OrderedDict
from typing import Any

import numpy as np

log = logging.getLogger("layerstack.inference")


class PredictorUnavailable(RuntimeError):
    """The inference process could not answer; `died` tells a crash from a model error."""

    def __init__(self, message: str, died: bool = False) -> None:
        super().__init__(message)
        self.died = died


def serve(conn: Any, cache_size: int) -> None:
    """Process entry: load models on demand, keep `cache_size` of them, answer requests."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from app.jobs.worker import _die_with_parent

    _die_with_parent()
    import keras
    import tensorflow as tf

    models: OrderedDict[int, Any] = OrderedDict()

    def compiled(run_id: int, path: str) -> Any:
        if run_id in models:
            models.move_to_end(run_id)
            return models[run_id]
        model = keras.saving.load_model(path, compile=False)
        shape = model.inputs[0].shape
        call = tf.function(lambda x: model(x, training=False), reduce_retracing=True,
                           input_signature=[tf.TensorSpec(shape, tf.float32)])  # fmt: skip
        call(np.zeros([1, *shape[1:]], np.float32))  # trace once, now
        models[run_id] = call
        while len(models) > cache_size:
            models.popitem(last=False)
        return call

    while True:
        try:
            request_id, kind, run_id, payload = conn.recv()
        except EOFError:
            return
        try:
            if kind == "evict":
                models.pop(run_id, None)
                result: Any = None
            elif kind == "to_json":  # payload: a stack checked by the web process
                result = _to_json(payload)
            else:
                path, batch = payload
                result = compiled(run_id, path)(batch).numpy()
            conn.send((request_id, True, result))
        except Exception as error:  # one bad model must not stop the others
            conn.send((request_id, False, (f"{type(error).__name__}: {error}", False)))


def _to_json(stack: dict[str, Any]) -> str:
    """model.to_json() of the compiled model (Keras lives in this process, not the web's)."""
    from app.ml.compiler import build_model, compile_model
    from app.stack import check_stack

    checked = check_stack(stack, max_layers=10_000)
    model = compile_model(build_model(checked), checked.compile)
    text: str = model.to_json()
    return text


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
        self.process = self.context.Process(target=serve, args=(theirs, self.cache_size),
                                            name="predictor", daemon=True)  # fmt: skip
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
