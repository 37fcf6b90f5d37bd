"""Runs over HTTP without a worker: what is checked before a run is queued, the queue,
and the answers for cancel/resume in every state. Training itself: tests/test_training.py."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session

from app.models import Run
from app.runs import state
from tests.helpers.stacks import dense, mlp


def run_body(stack=None, **fit):
    return {"architecture": stack or mlp([8, 8]), "dataset_id": 1, "fit": fit}


def test_a_run_is_queued_with_a_frozen_snapshot(client):
    arch = client.post("/api/architectures", json=mlp([8, 8])).json()
    response = client.post(
        "/api/runs",
        json={"architecture_id": arch["id"], "dataset_id": 1, "fit": {"epochs": 3, "seed": 7}},
    )
    assert response.status_code == 202, response.text
    run = response.json()
    assert run["status"] == "queued" and run["architecture_id"] == arch["id"]
    assert run["fit"]["epochs"] == 3 and run["fit"]["seed"] == 7
    assert run["preprocessing"]["scale"] == 1 / 16  # digits are 0..16
    assert run["preprocessing"]["labels"] == "sparse"
    client.put(
        f"/api/architectures/{arch['id']}",
        json={**mlp([8, 8]), "layers": [{"type": "Flatten"}, dense(10, activation="softmax")]},
    )
    again = client.get(f"/api/runs/{run['id']}").json()
    assert again["stack"]["layers"] == run["stack"]["layers"]  # editing later changes nothing
    assert len(again["stack"]["layers"]) == 3


def test_seed_is_picked_and_kept_when_not_given(client):
    run = client.post("/api/runs", json=run_body()).json()
    assert isinstance(run["fit"]["seed"], int)


def test_input_shape_comes_from_the_dataset_when_missing(client):
    stack = {**mlp(), "input_shape": None}
    run = client.post("/api/runs", json=run_body(stack)).json()
    assert run["stack"]["input_shape"] == [8, 8]


def test_a_flat_model_reshapes_images(client):
    stack = {
        "layers": [dense(32, activation="relu", input_shape=[64]), dense(10, activation="softmax")],
        "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
    }
    run = client.post("/api/runs", json=run_body(stack)).json()
    assert run["preprocessing"]["input"] == {"kind": "reshape", "shape": [64]}


def test_input_dim_on_the_first_layer_is_the_input_shape(client):
    """Dense(64, input_dim=64), as older tutorials write it, trains on the 8x8 digits."""
    stack = {
        "layers": [dense(64, activation="relu", input_dim=64), dense(10, activation="softmax")],
        "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
    }
    response = client.post("/api/runs", json=run_body(stack))
    assert response.status_code == 202, response.text
    run = response.json()
    assert run["stack"]["input_shape"] == [64]
    assert run["preprocessing"]["input"] == {"kind": "reshape", "shape": [64]}


def test_an_embedding_input_dim_is_its_vocabulary_not_an_input_shape(client):
    """Embedding's own input_dim must not be taken for the model's input shape."""
    stack = {
        "layers": [
            {"type": "Flatten"},
            {"type": "Embedding", "args": {"input_dim": 17, "output_dim": 4}},
            {"type": "Flatten"},
            dense(10, activation="softmax"),
        ],
        "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
    }
    run = client.post("/api/runs", json=run_body(stack)).json()
    assert run["stack"]["input_shape"] == [8, 8]  # from the dataset


def test_categorical_loss_gets_one_hot_labels(client):
    run = client.post("/api/runs", json=run_body(mlp(loss="categorical_crossentropy"))).json()
    assert run["preprocessing"]["labels"] == "one_hot"


BAD = [
    ("wrong-input-shape", run_body({**mlp([28, 28])}), ["architecture", "input_shape"],
     ["(None, 28, 28)", "(None, 8, 8)", "[8, 8]"]),
    ("units-vs-classes", run_body({**mlp(), "layers": [{"type": "Flatten"},
                                                       dense(5, activation="softmax")]}),
     ["architecture", "layers", 1], ["5 units", "10 classes", "units=10"]),
    ("binary-with-10-classes", run_body({**mlp(loss="binary_crossentropy"), "layers": [
        {"type": "Flatten"}, dense(1, activation="sigmoid")]}),
     ["architecture", "layers", 1], ["2 classes", "10 classes", "SparseCategoricalCrossentropy"]),
    ("no-loss", run_body({**mlp(), "compile": {"optimizer": "adam"}}), ["compile", "loss"],
     ["Choose a loss"]),
    ("image-output", run_body({"input_shape": [8, 8, 1], "layers": [
        {"type": "Conv2D", "args": {"filters": 4, "kernel_size": 3}}],
        "compile": {"loss": "sparse_categorical_crossentropy"}}),
     ["architecture", "layers", 0], ["(None, 6, 6, 4)", "Flatten"]),
    ("bad-stack", run_body({**mlp(), "layers": [dense(0)]}),
     ["architecture", "layers", 0, "args", "units"], ["units=0"]),
    ("bad-epochs", run_body(epochs=0), ["fit", "epochs"], ["greater than or equal to 1"]),
    ("unknown-fit-field", run_body(epoch=3), ["fit", "epoch"], ["Extra inputs"]),
]  # fmt: skip


@pytest.mark.parametrize("body,loc,words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_mismatches_are_422_before_queueing(client, body, loc, words):
    response = client.post("/api/runs", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]
    assert problem["loc"] == ["body", *loc]
    for word in words:
        assert word in problem["msg"], (word, problem["msg"])
    assert client.get("/api/runs").json()["count"] == 0


def test_unknown_dataset_or_architecture_is_404(client):
    assert client.post("/api/runs", json={**run_body(), "dataset_id": 9}).status_code == 404
    body = {"architecture_id": 9, "dataset_id": 1}
    assert client.post("/api/runs", json=body).status_code == 404
    assert client.get("/api/runs/9").status_code == 404
    assert client.get("/api/runs/9/events").status_code == 404


def test_both_or_neither_architecture_is_422(client):
    assert client.post("/api/runs", json={"dataset_id": 1}).status_code == 422
    body = {**run_body(), "architecture_id": 1}
    assert client.post("/api/runs", json=body).status_code == 422


@pytest.mark.both_databases
def test_cancel_and_resume_answer_409_where_they_make_no_sense(client, settings):
    run = client.post("/api/runs", json=run_body()).json()
    assert client.post(f"/api/runs/{run['id']}/resume").status_code == 409  # queued
    cancelled = client.post(f"/api/runs/{run['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/runs/{run['id']}/cancel")
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]
    resumed = client.post(f"/api/runs/{run['id']}/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "queued"
    engine = client.app.state.engine
    state.finish(engine, run["id"], "completed")
    for action in ("cancel", "resume"):
        response = client.post(f"/api/runs/{run['id']}/{action}")
        assert response.status_code == 409 and "completed" in response.json()["detail"]
    assert client.get(f"/api/runs/{run['id']}/model.keras").status_code == 409


@pytest.mark.both_databases
def test_fifty_runs_at_once_are_all_queued(client):
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client.post("/api/runs", json=run_body()), range(50)))
    assert [a.status_code for a in answers] == [202] * 50
    listing = client.get("/api/runs", params={"status": "queued", "limit": 500}).json()
    assert listing["count"] == 50
    assert len({a.json()["id"] for a in answers}) == 50


def test_list_filters(client):
    arch = client.post("/api/architectures", json=mlp([8, 8])).json()
    client.post("/api/runs", json={"architecture_id": arch["id"], "dataset_id": 1})
    client.post("/api/runs", json=run_body())
    assert client.get("/api/runs", params={"architecture_id": arch["id"]}).json()["count"] == 1
    assert client.get("/api/runs", params={"status": "running"}).json()["count"] == 0
    assert client.get("/api/runs", params={"dataset_id": 1}).json()["count"] == 2


@pytest.mark.both_databases
def test_dataset_in_use_cannot_be_deleted(client):
    body = client.post(
        "/api/datasets",
        data={"name": "d"},
        files=[
            (
                "files",
                ("d.csv", b"label,a,b\n" + b"".join(b"%d,1,2\n" % (i % 2) for i in range(20))),
            )
        ],
    ).json()
    run = client.post(
        "/api/runs",
        json={
            "architecture": {
                "layers": [dense(2, activation="softmax")],
                "compile": {"loss": "sparse_categorical_crossentropy"},
            },
            "dataset_id": body["id"],
        },
    ).json()
    response = client.delete(f"/api/datasets/{body['id']}")
    assert response.status_code == 409 and str(run["id"]) in response.json()["detail"]
    client.post(f"/api/runs/{run['id']}/cancel")
    assert client.delete(f"/api/datasets/{body['id']}").status_code == 204
    assert client.get(f"/api/runs/{run['id']}").json()["dataset_id"] is None


def test_resuming_a_run_whose_dataset_was_deleted_is_409(client):
    """It would be queued and fail in the worker; the answer says why instead."""
    rows = b"".join(b"%d,1,2\n" % (i % 2) for i in range(20))
    files = [("files", ("d.csv", b"label,a,b\n" + rows))]
    dataset = client.post("/api/datasets", data={"name": "d"}, files=files).json()
    stack = {
        "layers": [dense(2, activation="softmax")],
        "compile": {"loss": "sparse_categorical_crossentropy"},
    }
    run = client.post("/api/runs", json={"architecture": stack, "dataset_id": dataset["id"]})
    run_id = run.json()["id"]
    assert client.post(f"/api/runs/{run_id}/cancel").status_code == 200
    assert client.delete(f"/api/datasets/{dataset['id']}").status_code == 204
    response = client.post(f"/api/runs/{run_id}/resume")
    assert response.status_code == 409, response.text
    detail = response.json()["detail"]
    assert f"Run {run_id}" in detail and "dataset" in detail and "deleted" in detail
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "cancelled"  # not queued


@pytest.mark.both_databases
def test_interrupted_runs_on_start(settings, client):
    run = client.post("/api/runs", json=run_body()).json()
    engine = client.app.state.engine
    assert state.claim_next(engine, "gone-worker") == run["id"]
    assert state.interrupt_running(engine) == [run["id"]]
    with Session(engine) as session:
        assert session.get(Run, run["id"]).status == "interrupted"


def test_no_loss_comes_with_a_one_click_fix(client):
    """Pasted code without model.compile (the tutorial's CNN) has no loss: one click sets it,
    in the run's 422 and in the builder's summary against the dataset."""
    stack = {**mlp(), "compile": {"optimizer": "adam"}}  # nothing measured either
    fix = {
        "action": "set_compile",
        "compile": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
        "label": "Use SparseCategoricalCrossentropy, with accuracy",
    }
    problem = client.post("/api/runs", json=run_body(stack)).json()["detail"][0]
    assert problem["fix"] == fix
    warnings = client.post("/api/summary?dataset_id=1", json=stack).json()["warnings"]
    assert [w.get("fix") for w in warnings if w["type"] == "run_loss"] == [fix]
    # With metrics of its own, only the loss.
    measured = {**mlp(), "compile": {"optimizer": "adam", "metrics": ["mse"]}}
    problem = client.post("/api/runs", json=run_body(measured)).json()["detail"][0]
    assert problem["fix"]["compile"] == {"loss": "sparse_categorical_crossentropy"}
    assert problem["fix"]["label"] == "Use SparseCategoricalCrossentropy"
