"""The inference process's loop: load trained models on demand, keep the most recent ones
compiled (an LRU cache), answer each request with one call. Runs in its own process, which
app.predictions.predictor starts and talks to over a pipe."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from app.ml.compiler import build_model, compile_model
from app.stacks import check_stack


class Models:
    """Compiled predict calls by run id, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.calls: OrderedDict[int, Any] = OrderedDict()

    def get(self, run_id: int, path: str) -> Any:
        if run_id in self.calls:
            self.calls.move_to_end(run_id)
            return self.calls[run_id]
        model = keras.saving.load_model(path, compile=False)
        shape = model.inputs[0].shape
        call = tf.function(
            lambda x: model(x, training=False),
            reduce_retracing=True,
            input_signature=[tf.TensorSpec(shape, tf.float32)],
        )
        call(np.zeros([1, *shape[1:]], np.float32))  # trace once, now
        self.calls[run_id] = call
        while len(self.calls) > self.size:
            self.calls.popitem(last=False)
        return call

    def evict(self, run_id: int) -> None:
        self.calls.pop(run_id, None)


def to_json(stack: dict[str, Any]) -> str:
    """model.to_json() of the compiled model (Keras lives in this process, not the web's)."""
    checked = check_stack(stack, max_layers=10_000)
    model = compile_model(build_model(checked), checked.compile)
    text: str = model.to_json()
    return text


def serve(conn: Any, cache_size: int) -> None:
    """Answer (request id, kind, run id, payload) messages until the pipe closes."""
    models = Models(cache_size)
    while True:
        try:
            request_id, kind, run_id, payload = conn.recv()
        except EOFError:
            return
        try:
            if kind == "evict":
                models.evict(run_id)
                result: Any = None
            elif kind == "to_json":  # payload: a stack checked by the web process
                result = to_json(payload)
            else:
                path, batch = payload
                result = models.get(run_id, path)(batch).numpy()
            conn.send((request_id, True, result))
        except Exception as error:  # one bad model must not stop the others
            conn.send((request_id, False, (f"{type(error).__name__}: {error}", False)))
