"""Training for real: a server with one worker process, real data, the event stream, a NaN
loss, and the model file a run leaves. Stopping runs: test_stopping_and_resuming.py; a killed
worker: tests/executors/test_local.py."""

from __future__ import annotations

import math

import httpx
import numpy as np
import pytest

from tests.helpers.runs import WAIT_S, submit, wait_for
from tests.helpers.sse import events
from tests.helpers.stacks import dense, mlp, mnist_cnn

pytestmark = pytest.mark.keras


@pytest.fixture
def server(trainer):
    return trainer


def test_digits_mlp_learns_and_the_stream_delivers_every_epoch(each_trainer):
    server = each_trainer  # on SQLite and on PostgreSQL
    run = submit(server, epochs=10, batch_size=32)
    seen = list(events(f"{server.url}/api/runs/{run['id']}/events", timeout=WAIT_S))
    kinds = [e.event for e in seen]
    assert kinds[0] == "status" and kinds[-1] == "done" and "progress" in kinds
    epochs = [e for e in seen if e.event == "epoch"]
    assert [e.id for e in epochs] == [str(i) for i in range(1, 11)]
    final = httpx.get(f"{server.url}/api/runs/{run['id']}").json()
    assert final["status"] == "completed" and seen[-1].data["status"] == "completed"
    assert [e.data for e in epochs] == final["history"]  # the same values, in order
    assert max(h["val_accuracy"] for h in final["history"]) > 0.9
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "epoch_time"} <= set(
        final["history"][0]
    )
    assert final["test_metrics"]["accuracy"] > 0.85
    assert sum(map(sum, final["confusion"])) == 359 and len(final["per_class_accuracy"]) == 10

    replay = list(events(f"{server.url}/api/runs/{run['id']}/events", last_event_id="7"))
    assert [e.id for e in replay if e.event == "epoch"] == ["8", "9", "10"]
    assert replay[-1].event == "done"

    csv = httpx.get(f"{server.url}/api/runs/{run['id']}/history.csv").text.splitlines()
    assert csv[0].startswith("epoch,") and len(csv) == 11
    model = httpx.get(f"{server.url}/api/runs/{run['id']}/model.keras")
    assert model.status_code == 200 and model.content[:2] == b"PK"


def test_many_watchers_get_the_same_epochs(server):
    import threading

    run = submit(server, epochs=4)
    results: list[list[str]] = []

    def watch() -> None:
        stream = events(f"{server.url}/api/runs/{run['id']}/events", timeout=WAIT_S)
        results.append([e.id for e in stream if e.event == "epoch"])

    threads = [threading.Thread(target=watch) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [["1", "2", "3", "4"]] * 20


def test_cnn_on_real_mnist(server, mnist_dataset):
    run = submit(server, mnist_cnn(), epochs=2, batch_size=64, dataset_id=mnist_dataset["id"])
    assert run["preprocessing"]["input"] == {"kind": "reshape", "shape": [28, 28, 1]}
    final = wait_for(server, run["id"])
    assert final["status"] == "completed", final["error"]
    assert final["test_metrics"]["accuracy"] > 0.9
    assert sum(map(sum, final["confusion"])) == 2000


def test_nan_loss_fails_naming_epoch_and_batch(server):
    stack = mlp([8, 8], optimizer={"name": "SGD", "learning_rate": 1e12})
    final = wait_for(server, submit(server, stack, epochs=5)["id"])
    assert final["status"] == "failed"
    assert "at epoch 1, batch" in final["error"] and "learning rate" in final["error"]


def test_model_file_predicts_like_the_run(server, keras):
    run = wait_for(server, submit(server, epochs=3)["id"])
    path = server.data_dir / "runs" / str(run["id"]) / "model.keras"
    model = keras.saving.load_model(path)
    folder = server.data_dir / "datasets" / "1"
    x = np.load(folder / "x_test.npy").astype("float32") / 16
    accuracy = float(
        (model.predict(x, verbose=0).argmax(1) == np.load(folder / "y_test.npy")).mean()
    )
    assert math.isclose(accuracy, run["test_metrics"]["accuracy"], abs_tol=1e-6)


def test_the_tutorials_channels_first_stack_trains_on_cpu(server):
    stack = {"input_shape": [1, 8, 8], "layers": [
        {"type": "Conv2D", "args": {"filters": 8, "kernel_size": 3, "padding": "same",
                                    "activation": "relu", "data_format": "channels_first"}},
        {"type": "MaxPooling2D", "args": {"pool_size": 2, "data_format": "channels_first"}},
        {"type": "Flatten"}, dense(10, activation="softmax")],
        "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                    "metrics": ["accuracy"]}}  # fmt: skip
    run = submit(server, stack, epochs=3)
    final = wait_for(server, run["id"])
    assert final["status"] == "completed", final["error"]
    assert final["history"][-1]["accuracy"] > 0.5
    summary = httpx.post(f"{server.url}/api/summary", json=final["stack"]).json()
    assert [r["output_shape"] for r in summary["layers"][:2]] == [[None, 8, 8, 8], [None, 8, 4, 4]]
