"""Weight histograms (app/ml/histograms.py): every value in one of 30 bins between the array's
min and max, the odd arrays (constant, NaN, empty) said as they are, and the caps that keep an
epoch's summary small; on a real Keras model, each layer's bins add up to its parameters."""

from __future__ import annotations

import numpy as np
import pytest

from app.ml import histograms
from app.ml.histograms import BINS, MAX_LAYERS, MAX_WEIGHTS, histogram, summary


def test_every_value_falls_in_one_of_the_bins_between_min_and_max() -> None:
    values = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    got = histogram(values)
    assert len(got["counts"]) == BINS and sum(got["counts"]) == values.size
    assert got["min"] == pytest.approx(values.min()) and got["max"] == pytest.approx(values.max())
    assert got["shape"] == [64, 8] and got["nonfinite"] == 0
    assert got["counts"] == np.histogram(values, bins=BINS)[0].tolist()


def test_equal_values_fill_one_bin_and_nonfinite_ones_are_counted_apart() -> None:
    zeros = histogram(np.zeros(10, "float32"))  # a bias as initialized
    assert zeros["min"] == zeros["max"] == 0.0 and zeros["counts"] == [10] + [0] * (BINS - 1)
    broken = histogram(np.array([1.0, np.nan, 2.0, np.inf, 3.0]))
    assert broken["nonfinite"] == 2 and sum(broken["counts"]) == 3
    assert (broken["min"], broken["max"]) == (1.0, 3.0)
    nothing = histogram(np.array([np.nan]))
    assert nothing["min"] is None and nothing["counts"] == [0] * BINS
    assert histogram(np.zeros((0, 4)))["counts"] == [0] * BINS


def test_layers_and_weights_past_the_caps_are_counted_not_recorded() -> None:
    layer = [(f"w{k}", np.ones(3)) for k in range(MAX_WEIGHTS + 2)]
    layers = [(i, f"dense_{i}", "Dense", layer) for i in range(MAX_LAYERS + 5)]
    got = summary(layers)
    assert len(got["layers"]) == MAX_LAYERS and got["layers_left_out"] == 5
    assert [w["name"] for w in got["layers"][0]["weights"]] == [f"w{k}" for k in range(MAX_WEIGHTS)]
    assert len(str(got)) < 24_000  # the epoch's row stays small however deep the stack


@pytest.mark.keras
def test_each_layers_bins_add_up_to_its_parameter_count(keras) -> None:
    model = keras.Sequential(
        [
            keras.Input((12, 12, 1)),
            keras.layers.Conv2D(4, 3),
            keras.layers.BatchNormalization(),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    got = histograms.model_histograms(model)
    assert [(layer["index"], layer["type"]) for layer in got["layers"]] == [
        (0, "Conv2D"), (1, "BatchNormalization"), (4, "Dense")
    ]  # fmt: skip
    for layer in got["layers"]:
        keras_layer = model.layers[layer["index"]]
        assert layer["name"] == keras_layer.name
        total = sum(sum(w["counts"]) for w in layer["weights"])
        assert total == keras_layer.count_params()
    conv = {w["name"]: w for w in got["layers"][0]["weights"]}
    assert conv["kernel"]["shape"] == [3, 3, 1, 4] and sum(conv["kernel"]["counts"]) == 36
    assert conv["bias"]["shape"] == [4] and conv["bias"]["counts"][0] == 4  # zeros: one bin
