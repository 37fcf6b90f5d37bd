"""Nothing changes silently: GET /api/runs/{id} lists each change Layerstack makes between
the dataset and the model, in words and as data, and the exported script says it where it
does it. The built-in digits are 8x8 samples of 0..16 in 10 classes."""

from __future__ import annotations

import numpy as np

from tests.helpers.stacks import dense, mlp
from tests.helpers.uploads import npz_bytes, post


def submit(client, stack, dataset_id=1, **fit):
    response = client.post(
        "/api/runs", json={"architecture": stack, "dataset_id": dataset_id, "fit": fit}
    )
    assert response.status_code == 202, response.text
    return client.get(f"/api/runs/{response.json()['id']}").json()


def by_kind(run):
    return {c["kind"]: c for c in run["automatic_changes"]}


def test_scaling_is_listed_in_words_and_figures(client):
    run = submit(client, mlp([8, 8]))
    (scale,) = run["automatic_changes"]  # (8, 8) for an (8, 8) model: nothing else
    assert scale["kind"] == "scale"
    assert scale["from"] == [0, 16] and scale["to"] == [0, 1]
    assert scale["scale"] == 1 / 16 and scale["offset"] == 0
    assert "scaled from the dataset's range 0..16 to [0, 1] (x / 16)" in scale["text"]
    assert scale["expects"] == "values scaled to [0, 1] (x / 16)"
    # Recorded with the run's preprocessing, which the saved .keras model carries too.
    assert run["preprocessing"]["automatic_changes"] == run["automatic_changes"]


def test_nothing_is_listed_when_nothing_changes(client):
    run = submit(client, mlp([8, 8]), normalize=False)
    assert run["automatic_changes"] == []


def test_a_reshape_and_one_hot_labels_for_categorical_crossentropy(client):
    stack = {**mlp([64], loss="categorical_crossentropy"), "layers": mlp()["layers"][1:]}
    changes = by_kind(submit(client, stack))
    assert list(changes) == ["scale", "reshape", "one_hot"]
    assert changes["reshape"]["from"] == [8, 8] and changes["reshape"]["to"] == [64]
    assert "reshaped from (8, 8) to (64,)" in changes["reshape"]["text"]
    one_hot = changes["one_hot"]
    assert one_hot["classes"] == 10 and one_hot["loss"] == "CategoricalCrossentropy"
    assert "Integer labels (0..9) one-hot encoded into 10 columns" in one_hot["text"]
    assert "Keras itself would raise" in one_hot["text"]


def test_mse_over_one_output_per_class_gets_one_hot_labels_said_so(client):
    changes = by_kind(submit(client, mlp([8, 8], loss="mse")))
    assert "MeanSquaredError compares each of the 10 outputs" in changes["one_hot"]["text"]


def test_mse_on_one_output_uses_the_class_index_as_a_number(client):
    stack = {**mlp([8, 8], loss="mse"), "layers": [{"type": "Flatten"}, dense(1)]}
    changes = by_kind(submit(client, stack))
    assert (
        "Class indices (0..9) used as the numbers to predict"
        in (changes["labels_as_numbers"]["text"])
    )


def test_an_input_shape_taken_from_the_dataset(client):
    run = submit(client, {**mlp(), "input_shape": None})
    assert run["automatic_changes"][0] == {
        "kind": "input_shape",
        "to": [8, 8],
        "text": "The stack had no input shape, so it was built for the dataset's samples, "
        "(8, 8), as Keras builds an unbuilt model from the first batch it sees.",
    }


def test_a_channels_first_model_trains_as_a_channels_last_twin(client):
    conv = {"filters": 4, "kernel_size": 3, "data_format": "channels_first"}
    stack = {
        "input_shape": [1, 8, 8],
        "layers": [{"type": "Conv2D", "args": conv}, {"type": "Flatten"},
                   dense(10, activation="softmax")],
        "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
    }  # fmt: skip
    changes = by_kind(submit(client, stack))
    assert list(changes) == ["scale", "reshape", "channels_last_twin"]
    twin = changes["channels_last_twin"]
    assert twin["axes"] == [1, 2, 0]
    assert "channels_last twin" in twin["text"] and "same weights" in twin["text"]


def test_channels_last_images_for_a_channels_first_model_are_transposed(client):
    x = np.random.default_rng(0).integers(0, 255, (20, 4, 4, 3), dtype=np.uint8)
    y = np.arange(20) % 2
    dataset = post(client, [("d.npz", npz_bytes(x=x, y=y))], class_names="a,b").json()
    pool = {"data_format": "channels_first"}
    stack = {
        "input_shape": [3, 4, 4],
        "layers": [{"type": "GlobalAveragePooling2D", "args": pool},
                   dense(2, activation="softmax")],
        "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
    }  # fmt: skip
    transpose = by_kind(submit(client, stack, dataset["id"]))["transpose"]
    assert transpose["from"] == [4, 4, 3] and transpose["to"] == [3, 4, 4]
    assert transpose["axes"] == [2, 0, 1]
    assert "transposed from (4, 4, 3) (channels last) to (3, 4, 4)" in transpose["text"]


def test_the_exported_script_states_each_change_where_it_makes_it(client):
    stack = {**mlp([64], loss="categorical_crossentropy"), "layers": mlp()["layers"][1:]}
    run = submit(client, stack)
    script = client.get(f"/api/runs/{run['id']}/export.py").text
    note = script.index("# What Layerstack changed between the dataset and the model")
    assert note < script.index("def prepare_x(x):")
    for change in run["automatic_changes"]:
        assert f"# - {change['kind']}: " in script
    assert "x = x * np.float32(0.0625)" in script
    assert "x = x.reshape(len(x), *(64,))" in script
    assert "return np.eye(10, dtype='float32')[y]" in script


def test_a_run_recorded_before_the_list_is_described_from_its_preprocessing(client):
    """Runs planned before automatic_changes was recorded get the same words on reading."""
    from sqlmodel import Session

    from app.models import Run

    run = submit(client, mlp([8, 8]))
    with Session(client.app.state.engine) as session:
        row = session.get(Run, run["id"])
        assert row is not None
        row.preprocessing = {
            k: v for k, v in row.preprocessing.items() if k not in ("automatic_changes", "cpu_twin")
        }
        session.add(row)
        session.commit()
    assert (
        client.get(f"/api/runs/{run['id']}").json()["automatic_changes"]
        == (run["automatic_changes"])
    )
