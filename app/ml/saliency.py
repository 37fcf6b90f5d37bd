"""Why this label: a saliency map for one input, in the inference process.

Grad-CAM (Selvaraju et al. 2017) when the stack has a 2-D convolution: the last one's
feature maps weighted by the mean gradient of the class score over each map, kept where
positive, resized to the image; when that leaves nothing (every position's weighted sum
negative, which small stacks with a pooling layer after the convolution often show),
LayerCAM's weights (Jiang et al. 2021: each position's positive gradients) instead, so
the map is never blank for a real prediction. Otherwise the input gradients' magnitude, mapped back
through the run's reshape/transpose onto the image's pixels. The class score is the
pre-softmax logit when the last layer is a softmax Dense (a confident softmax's gradient
vanishes), else the log of the class's probability.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from app.predictions.inputs import image_geometry

CONV_NAMES = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose")


def _last_conv(model: keras.Model) -> int | None:
    found = [
        i
        for i, layer in enumerate(model.layers)
        if type(layer).__name__ in CONV_NAMES and len(layer.output.shape) == 4
    ]
    return found[-1] if found else None


def _score(model: keras.Model, h: tf.Tensor, labels: str) -> tf.Tensor:
    """The last layer applied to h: (class scores to differentiate, probabilities)."""
    last = model.layers[-1]
    activation = getattr(last, "activation", None)
    if type(last).__name__ == "Dense" and activation is keras.activations.softmax:
        logits = tf.matmul(h, last.kernel) + (last.bias if last.use_bias else 0.0)
        return logits, tf.nn.softmax(logits)
    out = last(h, training=False)
    if labels == "binary":
        p = out if activation is keras.activations.sigmoid else tf.sigmoid(out)
        probs = tf.concat([1.0 - p, p], axis=-1)
    elif activation is keras.activations.softmax:
        probs = out
    else:
        probs = tf.nn.softmax(out)
    return tf.math.log(probs + 1e-12), probs


def _to_image(values: np.ndarray, prep: dict[str, Any], twin: tuple[int, ...] | None) -> Any:
    """A gradient shaped like the model input -> the image's (height, width)."""
    (height, width), _, sample_shape = image_geometry(prep)
    if twin is not None:
        values = values.transpose(np.argsort(twin))
    transform = prep["input"]
    if transform["kind"] == "transpose":
        values = values.transpose(np.argsort(transform["axes"]))
    values = values.reshape(sample_shape)
    return values.reshape(height, width, -1).max(axis=-1)


def saliency(
    model: keras.Model,
    x: np.ndarray,
    prep: dict[str, Any],
    twin: tuple[int, ...] | None,
    class_index: int | None,
) -> dict[str, Any]:
    """The map for one input x (batch of 1): values 0..1 at the image's height and width."""
    conv = _last_conv(model)
    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        h, watched = inputs, inputs
        for i, layer in enumerate(model.layers[:-1]):
            h = layer(h, training=False)
            if i == conv:
                watched = h
        scores, probs = _score(model, h, prep["labels"])
        chosen = int(tf.argmax(probs[0])) if class_index is None else class_index
        target = scores[0, min(chosen, scores.shape[-1] - 1)]
    grads = tape.gradient(target, watched)
    (height, width), _, _ = image_geometry(prep)
    if conv is not None and grads is not None:
        weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(weights * watched, axis=-1))[0]
        method = "grad-cam"
        if float(tf.reduce_max(cam)) == 0.0:
            # No map's mean gradient outweighs the rest anywhere (small stacks, a max-pool
            # right after): LayerCAM's per-position weights still show the evidence.
            cam = tf.reduce_sum(tf.nn.relu(grads) * watched, axis=-1)[0]
            method = "grad-cam (layer-cam weights)"
        resized = tf.image.resize(cam[..., None], (height, width), method="bilinear")
        values = np.asarray(resized)[..., 0]
        layer = model.layers[conv].name
    else:
        raw = np.zeros(x.shape[1:], np.float32) if grads is None else np.abs(grads[0])
        values = _to_image(np.asarray(raw), prep, twin)
        method, layer = "input-gradients", None
    top = float(values.max())
    values = values / top if top > 0 else np.zeros_like(values)
    return {
        "method": method,
        "layer": layer,
        "class_index": chosen,
        "probability": float(probs[0, chosen]),
        "size": [height, width],
        "map": np.round(values, 3).tolist(),
    }
