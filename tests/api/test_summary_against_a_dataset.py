"""POST /api/summary while a stack does not build (the rows before the fault are kept) and
with ?dataset_id= (the stack checked live against a dataset, each mismatch a warning with its
one-click fix); the export of an unsaved stack; and the train page's advice for the tutorial
CNN on MNIST-shaped data ([28, 28, 1], which a Conv2D takes, not [28, 28] or [784])."""

from __future__ import annotations

import copy

import numpy as np

from tests.helpers.stacks import SEED_CNN, dense, mlp
from tests.helpers.uploads import npz_bytes


def mnist_like(client) -> dict:
    """Thirty 28x28 grayscale samples of 10 classes: MNIST's shape in a few milliseconds."""
    x = np.random.default_rng(0).integers(0, 255, (30, 28, 28)).astype(np.uint8)
    files = [("files", ("mnist.npz", npz_bytes(x=x, y=np.arange(30) % 10)))]
    answer = client.post("/api/datasets", data={"name": "mnist-like"}, files=files)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_rows_before_a_faulty_layer_are_kept_and_the_fault_named(client):
    stack = copy.deepcopy(SEED_CNN)
    stack["layers"][3]["args"]["units"] = 0  # Dense(0): an argument out of bounds
    response = client.post("/api/summary", json=stack)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"][0]["loc"][:3] == ["body", "layers", 3]
    summary = body["summary"]
    assert summary["fault_index"] == 3 and summary["complete"] is False
    assert [(r["name"], r["output_shape"], r["params"]) for r in summary["layers"]] == [
        ("conv2d", [None, 30, 30, 16], 448),
        ("max_pooling2d", [None, 10, 10, 16], 0),
        ("flatten", [None, 1600], 0),
    ]
    assert summary["total_params"] == 448


def test_a_shape_fault_keeps_the_rows_before_it(client):
    # A 2D pooling after Flatten: its input is (None, 1600), not an image.
    stack = {**mlp([8, 8]), "layers": [{"type": "Flatten"}, dense(64),
                                       {"type": "MaxPooling2D"}, dense(10)]}  # fmt: skip
    body = client.post("/api/summary", json=stack).json()
    assert body["detail"][0]["loc"] == ["body", "layers", 2]
    assert body["summary"]["fault_index"] == 2
    assert [r["params"] for r in body["summary"]["layers"]] == [0, 64 * 64 + 64]


def test_a_bad_input_shape_has_no_rows_to_keep(client):
    body = client.post("/api/summary", json=mlp([0, 8])).json()
    assert body["detail"][0]["loc"] == ["body", "input_shape"]
    assert body["summary"]["layers"] == [] and body["summary"]["fault_index"] is None


def test_the_cnn_template_against_mnist_says_use_the_datasets_shape(client):
    dataset = mnist_like(client)
    response = client.post(f"/api/summary?dataset_id={dataset['id']}", json=SEED_CNN)
    assert response.status_code == 200, response.text
    (warning,) = [w for w in response.json()["warnings"] if w["loc"] == ["input_shape"]]
    assert "[28, 28, 1]" in warning["msg"]
    assert warning["fix"] == {"action": "set_input_shape", "input_shape": [28, 28, 1],
                              "label": "Use the dataset's shape [28, 28, 1]"}  # fmt: skip
    fixed = {**SEED_CNN, "input_shape": warning["fix"]["input_shape"]}
    answer = client.post(f"/api/summary?dataset_id={dataset['id']}", json=fixed).json()
    assert answer["warnings"] == [] and answer["input_shape"] == [28, 28, 1]


def test_a_conv_on_a_2d_shape_gets_the_datasets_shape_beside_the_rank_problem(client):
    stack = {**SEED_CNN, "input_shape": [8, 8]}  # the digits' shape, without channels
    response = client.post("/api/summary?dataset_id=1", json=stack)
    assert response.status_code == 422
    (warning,) = response.json()["summary"]["warnings"]
    assert warning["fix"]["input_shape"] == [8, 8, 1]


def test_units_against_classes_is_a_live_warning_with_a_fix(client):
    stack = {**mlp([8, 8]), "layers": [{"type": "Flatten"}, dense(5, activation="softmax")]}
    assert client.post("/api/summary", json=stack).json()["warnings"] == []
    (warning,) = client.post("/api/summary?dataset_id=1", json=stack).json()["warnings"]
    assert "5 units, but the dataset has 10 classes" in warning["msg"]
    assert warning["index"] == 1
    assert warning["fix"] == {"action": "set_args", "index": 1, "args": {"units": 10},
                              "label": "Set units to 10"}  # fmt: skip


def test_an_unknown_dataset_is_a_404(client):
    response = client.post("/api/summary?dataset_id=999", json=mlp())
    assert response.status_code == 404
    assert "999" in response.json()["detail"]


def test_the_train_page_advice_for_the_tutorial_cnn_on_mnist_is_28_28_1(client):
    dataset = mnist_like(client)
    body = {"architecture": SEED_CNN, "dataset_id": dataset["id"]}
    response = client.post("/api/runs", json=body)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert "Set input_shape to [28, 28, 1]" in problem["msg"]
    assert "[784]" not in problem["msg"]
    assert problem["fix"]["input_shape"] == [28, 28, 1]


def test_a_cnn_without_input_shape_trains_on_2d_images_as_28_28_1(client):
    dataset = mnist_like(client)
    stack = {**SEED_CNN, "input_shape": None}
    response = client.post("/api/runs", json={"architecture": stack, "dataset_id": dataset["id"]})
    assert response.status_code == 202, response.text
    changes = response.json()["automatic_changes"]
    assert changes[0]["kind"] == "input_shape" and changes[0]["to"] == [28, 28, 1]


def test_an_unsaved_stack_exports_as_a_script(client):
    response = client.post("/api/architectures/export", json={**SEED_CNN, "name": "My CNN"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/x-python")
    assert 'filename="My_CNN.py"' in response.headers["content-disposition"]
    assert "Conv2D(16, 3, activation='relu', input_shape=(32, 32, 3))" in response.text


def test_an_unsaved_stack_that_does_not_build_is_not_exported(client):
    bad = {**SEED_CNN, "layers": [dense(0)]}
    response = client.post("/api/architectures/export", json=bad)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "layers"]


def test_the_no_input_shape_example_is_one_the_first_layer_takes(client):
    conv = client.post("/api/summary", json={**SEED_CNN, "input_shape": None}).json()
    (warning,) = [w for w in conv["warnings"] if w["type"] == "no_input_shape"]
    assert "[28, 28, 1]" in warning["msg"] and "[784]" not in warning["msg"]
    flat = client.post("/api/summary", json={**mlp(), "input_shape": None}).json()
    (warning,) = [w for w in flat["warnings"] if w["type"] == "no_input_shape"]
    assert "[28, 28] for MNIST images before a Flatten" in warning["msg"]


def test_a_dense_head_on_feature_maps_gets_flatten_inserted_before_it(client):
    """Conv2D -> Dense(16) -> Dense(10) outputs (None, 6, 6, 10): Dense acts on the last axis
    only. The builder says so once (with or without a dataset), and Start refuses it with
    the same one-click fix: a Flatten before the head's first Dense."""
    conv = {"type": "Conv2D", "args": {"filters": 4, "kernel_size": 3, "activation": "relu"}}
    head = [dense(16, activation="relu"), {"type": "Dropout", "args": {"rate": 0.2}},
            dense(10, activation="softmax")]  # fmt: skip
    stack = {**mlp([8, 8, 1]), "layers": [conv, *head]}
    (note,) = client.post("/api/summary?dataset_id=1", json=stack).json()["warnings"]
    assert note["type"] == "dense_multi_dim_input" and note["index"] == 1
    flatten = {"action": "insert", "layer": {"type": "Flatten", "args": {}},
               "label": "Insert Flatten() here"}  # fmt: skip
    assert note["fix"] == {**flatten, "index": 1}
    refused = client.post("/api/runs", json={"architecture": stack, "dataset_id": 1})
    assert refused.status_code == 422
    (problem,) = refused.json()["detail"]
    assert problem["loc"] == ["body", "architecture", "layers", 1] and problem["fix"] == flatten
    assert "(None, 6, 6, 10)" in problem["msg"] and "before layers[1] (Dense" in problem["msg"]

    fixed = {**stack, "layers": [conv, {"type": "Flatten"}, *head]}  # as the click does it
    assert client.post("/api/summary?dataset_id=1", json=fixed).json()["warnings"] == []
    started = client.post("/api/runs", json={"architecture": fixed, "dataset_id": 1})
    assert started.status_code == 202, started.text


def test_a_stack_that_ends_in_feature_maps_is_told_without_a_fix(client):
    conv = {"type": "Conv2D", "args": {"filters": 10, "kernel_size": 3}}
    stack = {**mlp([8, 8, 1]), "layers": [conv]}
    warnings = client.post("/api/summary?dataset_id=1", json=stack).json()["warnings"]
    (shape,) = [w for w in warnings if w["type"] == "run_output_shape"]
    assert "fix" not in shape and "end with Flatten" in shape["msg"]
    assert "Dense(10, activation='softmax')" in shape["msg"]
