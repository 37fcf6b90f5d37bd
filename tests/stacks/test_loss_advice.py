"""Warnings about the last layer against the loss and metrics, over POST /api/summary: each
names the layer or field, says why, and its one-click fix, applied, makes it go away."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.helpers.stacks import dense

HIDDEN = dense(64, activation="relu")


def stack(*last: dict[str, Any], **compile_: Any) -> dict[str, Any]:
    return {
        "input_shape": [784],
        "layers": [HIDDEN, *last],
        "compile": {"optimizer": "adam", "metrics": ["accuracy"], **compile_},
    }


def warnings_of(client, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/api/summary", json=body)
    assert response.status_code == 200, response.text
    return response.json()["warnings"]


def the_warning(client, body: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = warnings_of(client, body)
    assert found["type"] == kind, found
    return found


def applied(body: dict[str, Any], fix: dict[str, Any]) -> dict[str, Any]:
    """The stack after a click on the fix, as the builder applies it (builder/fixes.js)."""
    out = copy.deepcopy(body)
    if fix["action"] == "set_args":
        out["layers"][fix["index"]].setdefault("args", {}).update(fix["args"])
    elif fix["action"] == "set_compile":
        out["compile"].update(fix["compile"])
    else:
        raise AssertionError(f"unexpected fix {fix}")
    return out


def test_the_logits_trap_is_warned_with_two_fixes(client):
    """Dense(10) without activation + SparseCategoricalCrossentropy() (from_logits off)."""
    body = stack(dense(10), loss="sparse_categorical_crossentropy")
    found = the_warning(client, body, "linear_output_without_logits")
    assert found["loc"] == ["layers", 1] and found["index"] == 1
    assert "layers[1] (Dense 'dense_1') has no activation" in found["msg"]
    assert "from_logits=false" in found["msg"] and "13%" in found["msg"]
    logits, softmax = found["fixes"]
    assert found["fix"] == logits
    assert logits == {
        "action": "set_compile",
        "compile": {"loss": {"name": "SparseCategoricalCrossentropy", "from_logits": True}},
        "label": "Set from_logits to true",
    }
    assert softmax == {
        "action": "set_args",
        "index": 1,
        "args": {"activation": "softmax"},
        "label": "Use softmax",
    }
    for fix in (logits, softmax):
        assert warnings_of(client, applied(body, fix)) == []


def test_the_logits_trap_keeps_the_loss_options_and_looks_past_dropout(client):
    loss = {"name": "CategoricalCrossentropy", "label_smoothing": 0.1}
    body = stack(dense(10), {"type": "Dropout", "args": {"rate": 0.2}}, loss=loss)
    found = the_warning(client, body, "linear_output_without_logits")
    assert found["index"] == 1
    assert found["fix"]["compile"]["loss"] == {**loss, "from_logits": True}
    assert warnings_of(client, applied(body, found["fix"])) == []


def test_binary_crossentropy_on_a_linear_unit_offers_sigmoid(client):
    body = stack(dense(1), loss="binary_crossentropy")
    found = the_warning(client, body, "linear_output_without_logits")
    assert [f["label"] for f in found["fixes"]] == ["Set from_logits to true", "Use sigmoid"]
    for fix in found["fixes"]:
        assert warnings_of(client, applied(body, fix)) == []


@pytest.mark.parametrize("last", [dense(10, activation="softmax"), dense(1)])
def test_no_logits_warning_when_the_output_is_probabilities_or_mse(client, last):
    loss = "sparse_categorical_crossentropy" if "activation" in last["args"] else "mse"
    assert warnings_of(client, {**stack(last, loss=loss), "compile": {"loss": loss}}) == []


def test_no_logits_warning_after_a_layer_without_an_activation_argument(client):
    """A pooling or a normalization last: whether it outputs logits is not for us to say."""
    body = stack(dense(10, activation="relu"), {"type": "BatchNormalization"},
                 loss="sparse_categorical_crossentropy")  # fmt: skip
    assert warnings_of(client, body) == []


def test_softmax_with_from_logits_is_still_warned_with_its_fix(client):
    loss = {"name": "SparseCategoricalCrossentropy", "from_logits": True}
    body = stack(dense(10, activation="softmax"), loss=loss)
    found = the_warning(client, body, "activation_with_logits")
    assert found["fix"]["compile"]["loss"]["from_logits"] is False
    assert warnings_of(client, applied(body, found["fix"])) == []


def test_sigmoid_with_a_categorical_loss_offers_softmax(client):
    body = stack(dense(10, activation="sigmoid"), loss="categorical_crossentropy")
    found = the_warning(client, body, "sigmoid_with_categorical_loss")
    assert "do not add up to 1" in found["msg"] and "CategoricalCrossentropy" in found["msg"]
    assert found["fix"] == {
        "action": "set_args",
        "index": 1,
        "args": {"activation": "softmax"},
        "label": "Use softmax",
    }
    assert warnings_of(client, applied(body, found["fix"])) == []


@pytest.mark.parametrize("activation", ["sigmoid", None])
def test_one_unit_with_a_categorical_loss_offers_binary_crossentropy(client, activation):
    last = dense(1, activation=activation) if activation else dense(1)
    body = stack(last, loss="sparse_categorical_crossentropy")
    found = the_warning(client, body, "categorical_single_unit")
    assert "1 unit" in found["msg"] and "one output per class" in found["msg"]
    assert found["fix"]["compile"] == {"loss": "binary_crossentropy"}
    after = warnings_of(client, applied(body, found["fix"]))
    # Sigmoid fits BinaryCrossentropy; a linear unit then meets the logits warning, in turn.
    assert [w["type"] for w in after] == ([] if activation else ["linear_output_without_logits"])


def test_softmax_over_one_unit_offers_sigmoid(client):
    body = stack(dense(1, activation="softmax"), loss="sparse_categorical_crossentropy")
    found = the_warning(client, body, "softmax_single_unit")  # only this one, not two
    assert "always outputs 1.0" in found["msg"]
    assert found["fix"]["args"] == {"activation": "sigmoid"}
    # Sigmoid over one unit wants BinaryCrossentropy next: the next warning says so.
    after = warnings_of(client, applied(body, found["fix"]))
    assert [w["type"] for w in after] == ["categorical_single_unit"]


@pytest.mark.parametrize("metric", ["accuracy", "acc", {"name": "Accuracy"}])
def test_accuracy_with_a_regression_loss_offers_mean_absolute_error(client, metric):
    body = stack(dense(1), loss="mse")
    body["compile"]["metrics"] = [metric, "mse"]
    found = the_warning(client, body, "accuracy_with_regression_loss")
    assert found["loc"] == ["compile", "metrics"] and found["index"] is None
    assert "MeanSquaredError" in found["msg"] and "mean_absolute_error" in found["msg"]
    assert found["fix"]["compile"] == {"metrics": ["mse", "mean_absolute_error"]}
    assert warnings_of(client, applied(body, found["fix"])) == []


def test_accuracy_with_mse_over_one_output_per_class_is_not_warned(client):
    """MSE on one-hot targets is a classifier: Keras's `accuracy` is categorical then."""
    assert warnings_of(client, stack(dense(10, activation="softmax"), loss="mse")) == []
