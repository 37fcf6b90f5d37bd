"""The inference process's loop: load trained models on demand, keep the most recent ones
compiled (an LRU cache), answer each request with one call. Runs in its own process, which
app.predictions.predictor starts and talks to over a pipe.

Besides predictions it looks inside a model (app/ml/inside.py, saliency.py, examples.py):
what each needs beyond the model (a probe of every layer, the test set's predictions) is
made on first use and kept with the model, so it goes when the model does."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from app.ml import examples, inside, saliency
from app.ml.compiler import build_model, compile_model
from app.stacks import check_stack


@dataclass
class Loaded:
    """One trained model, its compiled predict call, and what was made from it since."""

    model: keras.Model
    call: Any
    probe: Any = None  # every layer's output, compiled on the first activations request
    tests: dict[str, examples.TestSet] = field(default_factory=dict)


def load(path: str) -> Loaded:
    model = keras.saving.load_model(path, compile=False)
    shape = model.inputs[0].shape
    call = tf.function(
        lambda x: model(x, training=False),
        reduce_retracing=True,
        input_signature=[tf.TensorSpec(shape, tf.float32)],
    )
    call(np.zeros([1, *shape[1:]], np.float32))  # trace once, now
    return Loaded(model, call)


class Models:
    """Loaded models by run id, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.loaded: OrderedDict[int, Loaded] = OrderedDict()

    def get(self, run_id: int, path: str) -> Loaded:
        if run_id in self.loaded:
            self.loaded.move_to_end(run_id)
            return self.loaded[run_id]
        self.loaded[run_id] = load(path)
        while len(self.loaded) > self.size:
            self.loaded.popitem(last=False)
        return self.loaded[run_id]

    def evict(self, run_id: int) -> None:
        self.loaded.pop(run_id, None)


def to_json(stack: dict[str, Any]) -> str:
    """model.to_json() of the compiled model (Keras lives in this process, not the web's)."""
    checked = check_stack(stack, max_layers=10_000)
    model = compile_model(build_model(checked), checked.compile)
    text: str = model.to_json()
    return text


def _one_input(args: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
    """The input the web process prepared from an image, or a test sample read here."""
    if "x" in args:
        return args["x"], None
    return examples.test_sample(*args["sample"])


def look_inside(kind: str, loaded: Loaded, args: dict[str, Any]) -> Any:
    """Activations, filters, a saliency map or a confusion cell's examples."""
    if kind in ("activations", "saliency"):
        x, report = _one_input(args)
        if kind == "activations":
            if loaded.probe is None:
                loaded.probe = inside.probe(loaded.model)
            answer = inside.activations(loaded.model, loaded.probe, x, args["caps"])
        else:
            prep, twin = args["preprocessing"], args["twin"]
            answer = saliency.saliency(loaded.model, x, prep, twin, args["class_index"])
        return answer if report is None else {**answer, "preprocessing": report}
    if kind == "filters":
        return inside.filters(loaded.model, args["most"])
    question = args["question"]
    if question.folder not in loaded.tests:
        loaded.tests.clear()  # one test set per model: the run's own
        loaded.tests[question.folder] = examples.predict_test_set(loaded.model, question)
    tests = loaded.tests[question.folder]
    return examples.cell(tests, question.preprocessing, *args["cell"])


INSIDE = {"activations", "filters", "saliency", "examples"}


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
            elif kind in INSIDE:  # payload: (model path, arguments)
                path, args = payload
                result = look_inside(kind, models.get(run_id, path), args)
            else:
                path, batch = payload
                result = models.get(run_id, path).call(batch).numpy()
            conn.send((request_id, True, result))
        except Exception as error:  # one bad model must not stop the others
            conn.send((request_id, False, (f"{type(error).__name__}: {error}", False)))
