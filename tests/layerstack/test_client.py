"""The Python client (layerstack/client.py) against a real server in laptop mode: a stack from
the tutorial's code, a dataset uploaded with progress, a run created, followed, its history
(a DataFrame too), predictions from paths, bytes and PIL images, an export; refusals raise
LayerstackError with the server's status, words and problems."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from layerstack import Client, LayerstackError
from tests.helpers.images import encode
from tests.helpers.live_server import free_port

pytestmark = pytest.mark.keras
TUTORIAL = """
model = Sequential([
    Flatten(input_shape=(8, 8)),
    Dense(32, activation='relu'),
    Dense(10, activation='softmax'),
])
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
model.fit(x_train, y_train, epochs=3)
"""
CSV = (
    "label,"
    + ",".join(f"p{i}" for i in range(64))
    + "\n"
    + "".join(
        f"{row % 10}," + ",".join(str((row * i) % 16) for i in range(64)) + "\n"
        for row in range(60)
    )
)


@pytest.fixture
def client(trainer):
    with Client(trainer.url) as client:
        yield client


def test_a_run_from_code_to_export(client, tmp_path):
    imported = client.import_architecture(TUTORIAL, name="client MLP")
    arch = imported["architecture"]
    assert arch["id"] == imported["id"] and arch["name"] == "client MLP"
    assert imported["summary"]["total_params"] == 64 * 32 + 32 + 32 * 10 + 10
    assert imported["fit"]["epochs"] == 3  # what the code's model.fit asked for

    csv = tmp_path / "tiny.csv"
    csv.write_text(CSV)
    seen: list[tuple[int, int]] = []
    dataset = client.upload_dataset(
        csv, "tiny", progress=lambda done, total: seen.append((done, total))
    )
    assert dataset["num_train"] + dataset["num_test"] == 60
    assert seen and seen[-1] == (csv.stat().st_size, csv.stat().st_size)

    run = client.create_run(arch, 1, epochs=3, batch_size=16, seed=3)
    kinds, epochs = [], []
    for event in client.follow(run):
        kinds.append(event.kind)
        if event.kind == "epoch":
            epochs.append(event.id)
    assert epochs == [1, 2, 3] and kinds[-1] == "done" and "status" in kinds
    done = client.run(run)
    assert done["status"] == "completed"

    history = client.history(run, frame=False)
    assert [e["epoch"] for e in history] == [1, 2, 3]
    frame = client.history(run)  # pandas is installed: the tutorial's pd.DataFrame(history)
    assert list(frame.index) == [1, 2, 3] and frame["loss"].iloc[-1] == history[-1]["loss"]

    digit = np.zeros((8, 8), np.uint8)
    digit[1:7, 3:5] = 255  # a one
    png = tmp_path / "one.png"
    png.write_bytes(encode(digit))
    answers = client.predict(run, png, png.read_bytes(), Image.fromarray(digit), top_k=2)
    assert len(answers) == 3 and len({a["label"] for a in answers}) == 1
    assert len(answers[0]["top_k"]) == 2

    report = client.export(run, "tflite", tmp_path / "model.tflite")
    assert (
        report["agreement"] == 1.0 and report["size"] == (tmp_path / "model.tflite").stat().st_size
    )
    formats = {f["format"]: f for f in client.exports(run)}
    assert formats["tflite"]["report"]["size"] == report["size"]
    assert run["id"] in [r["id"] for r in client.runs(status="completed")]


def test_refusals_carry_status_words_and_problems(client):
    with pytest.raises(LayerstackError) as refused:
        client.create_run(
            {"input_shape": [8, 8], "layers": [{"type": "Dense", "args": {"units": 0}}]}, 1
        )
    error = refused.value
    assert error.status == 422 and error.problems
    assert error.problems[0].loc[:3] == ("body", "architecture", "layers")
    assert "units" in str(error)

    with pytest.raises(LayerstackError) as missing:
        client.run(987654)
    assert missing.value.status == 404 and str(missing.value) == "No run with id 987654."

    with pytest.raises(LayerstackError) as fixable:  # a fix the studio would offer as a button
        client.create_run({"input_shape": [8, 8], "layers": [{"type": "Flatten"},
                          {"type": "Dense", "args": {"units": 3, "activation": "softmax"}}],
                           "compile": {"loss": "sparse_categorical_crossentropy"}}, 1)  # fmt: skip
    assert fixable.value.problems[0].fix["args"] == {"units": 10}


def test_no_server_is_a_clear_error(tmp_path):
    with (
        Client(f"http://127.0.0.1:{free_port()}") as nobody,
        pytest.raises(LayerstackError) as error,
    ):
        nobody.runs()
    assert error.value.status == 0 and "Is it running?" in str(error.value)
