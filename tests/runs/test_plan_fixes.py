"""Units against classes once the dataset is known (POST /api/runs): the 422 names the layer
that sets the output's width and carries the one-click fix that makes the run start."""

from __future__ import annotations

import copy

from tests.helpers.stacks import dense, mlp


def test_units_vs_classes_is_a_422_with_a_set_units_fix(client):
    stack = {**mlp([8, 8]), "layers": [{"type": "Flatten"}, dense(5, activation="softmax")]}
    response = client.post("/api/runs", json={"architecture": stack, "dataset_id": 1})
    assert response.status_code == 422, response.text
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "architecture", "layers", 1]
    assert "5 units, but the dataset has 10 classes" in problem["msg"]
    fix = problem["fix"]
    assert fix == {"action": "set_args", "index": 1, "args": {"units": 10},
                   "label": "Set units to 10"}  # fmt: skip
    fixed = copy.deepcopy(stack)
    fixed["layers"][fix["index"]]["args"].update(fix["args"])
    response = client.post("/api/runs", json={"architecture": fixed, "dataset_id": 1})
    assert response.status_code == 202


def test_the_fix_names_the_dense_layer_even_when_dropout_comes_last(client):
    stack = {
        **mlp([8, 8]),
        "layers": [{"type": "Flatten"}, dense(3, activation="softmax"),
                   {"type": "Dropout", "args": {"rate": 0.1}}],
    }  # fmt: skip
    (problem,) = client.post("/api/runs", json={"architecture": stack, "dataset_id": 1}).json()[
        "detail"
    ]
    assert problem["loc"][-1] == 1 and problem["fix"]["index"] == 1
    assert problem["msg"].startswith("layers[1] (Dense")
