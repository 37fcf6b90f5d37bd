"""Each epoch's weight histograms (TensorBoard's histogram view, for a Sequential stack): per
layer that has weights, each of its weight arrays (kernel, bias, gamma, recurrent_kernel, ...)
as BINS equal bins between its min and max, with their counts.

Small and bounded whatever the model: at most MAX_LAYERS layers and MAX_WEIGHTS arrays a
layer, ~0.3 KB an array in JSON, so an epoch's summary stays under ~20 KB (and a 1,000-epoch
run's under ~20 MB) even for a deep stack; the tutorial's CNN takes ~1.5 KB an epoch. Cheap:
one pass of numpy over the weights the epoch ended with (read as `get_weights` reads them),
a few ms for a million parameters (bench/bench_weights.py).

Pure numpy on what a Keras model holds, so the tests can feed it arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from app.models.run_weights import BINS, MAX_LAYERS  # the caps, with why

MAX_WEIGHTS = 4  # BatchNormalization's gamma, beta, moving mean and variance
# Recording is on for every run; the benchmark turns it off to measure what it costs.
ENABLED = True


def histogram(values: np.ndarray) -> dict[str, Any]:
    """`values` as BINS equal bins from their min to their max: the counts sum to the number
    of finite values; `nonfinite` counts the others (NaN, inf). All values equal: one bin."""
    flat = np.asarray(values).ravel()
    shape = list(np.shape(values))
    nonfinite = 0
    if flat.size and not (np.isfinite(flat.min()) and np.isfinite(flat.max())):
        finite = flat[np.isfinite(flat)]  # only then: min and max say all are finite
        nonfinite, flat = int(flat.size - finite.size), finite
    out: dict[str, Any] = {"shape": shape, "nonfinite": nonfinite}
    if not flat.size:
        return {**out, "min": None, "max": None, "counts": [0] * BINS}
    low, high = float(flat.min()), float(flat.max())
    if low == high:
        counts = [int(flat.size)] + [0] * (BINS - 1)
    else:
        counts = np.histogram(flat, bins=BINS, range=(low, high))[0].tolist()
    return {**out, "min": low, "max": high, "counts": counts}


Weights = Sequence[tuple[str, np.ndarray]]  # (weight name, array), in the layer's order


def summary(layers: Sequence[tuple[int, str, str, Weights]], left_out: int = 0) -> dict[str, Any]:
    """For (index in the stack, name, type, weights) of each layer recorded: the epoch's
    summary, {"layers": [{index, name, type, weights: [{name, shape, min, max, counts,
    nonfinite}]}], "layers_left_out": left_out}."""
    recorded = [
        {
            "index": index,
            "name": name,
            "type": kind,
            "weights": [{"name": w, **histogram(a)} for w, a in weights[:MAX_WEIGHTS]],
        }
        for index, name, kind, weights in layers[:MAX_LAYERS]
    ]
    return {"layers": recorded, "layers_left_out": left_out + max(0, len(layers) - MAX_LAYERS)}


def model_histograms(model: Any) -> dict[str, Any]:
    """The summary of a built Keras model's layers with weights, as they are now; only the
    first MAX_LAYERS of them are read at all."""
    having = [(index, layer) for index, layer in enumerate(model.layers) if layer.weights]
    kept = [
        (index, layer.name, type(layer).__name__,
         [(v.name, v.numpy()) for v in layer.weights[:MAX_WEIGHTS]])
        for index, layer in having[:MAX_LAYERS]
    ]  # fmt: skip
    return summary(kept, len(having) - len(kept))
