"""Predictions from uploaded images, for real: trained models, real MNIST and Fashion-MNIST
images in many encodings, compared with a direct Keras call on the same array."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.helpers.images import encode, mnist_images, png_header
from tests.helpers.runs import submit, wait_for
from tests.helpers.sprite import tiles
from tests.helpers.stacks import dense, mlp, mnist_cnn

pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def mnist_run(trainer, mnist_dataset):
    """A small CNN trained on 8,000 real MNIST test images (tests use the 2,000 others)."""
    body = mnist_cnn(filters=32)
    run = submit(trainer, body, epochs=4, batch_size=64, dataset_id=mnist_dataset["id"])
    run = wait_for(trainer, run["id"])
    assert run["status"] == "completed", run["error"]
    return run


@pytest.fixture(scope="module")
def digits_run(trainer):
    run = wait_for(trainer, submit(trainer, mlp([8, 8]), epochs=30)["id"])
    assert run["status"] == "completed", run["error"]
    return run


def predict(server, run_id, *images: bytes, **params) -> httpx.Response:
    field = "file" if len(images) == 1 else "files"
    files = [
        (field, (f"image{i}.png", data, "application/octet-stream"))
        for i, data in enumerate(images)
    ]
    return httpx.post(f"{server.url}/api/runs/{run_id}/predict", files=files, params=params,
                      timeout=60)  # fmt: skip


def test_probabilities_equal_a_direct_keras_call(trainer, mnist_run, keras):
    model = keras.saving.load_model(trainer.data_dir / "runs" / str(mnist_run["id"]) /
                                    "model.keras")  # fmt: skip
    images = mnist_images()[:8]
    answer = predict(trainer, mnist_run["id"], *(encode(x) for x in images), k=10)
    assert answer.status_code == 200, answer.text
    expected = model.predict((images / 255.0).astype("float32")[..., None], verbose=0)
    for prediction, probs in zip(answer.json()["predictions"], expected, strict=True):
        got = {entry["index"]: entry["probability"] for entry in prediction["top_k"]}
        assert np.allclose([got[i] for i in range(10)], probs, atol=1e-5)
        assert prediction["index"] == int(probs.argmax())
        assert prediction["preprocessing"]["model_input_shape"] == [None, 28, 28, 1]
        seen = prediction["preprocessing"]["model_input_png"]
        assert seen.startswith("data:image/png;base64,")


def held_out(trainer, run, count: int) -> tuple[list[np.ndarray], list[int]]:
    """The run's own test images, as stored: never seen in training."""
    folder = trainer.data_dir / "datasets" / str(run["dataset_id"])
    x, y = np.load(folder / "x_test.npy"), np.load(folder / "y_test.npy")
    return list(x[:count]), [int(label) for label in y[:count]]


def test_most_held_out_mnist_images_are_right_in_every_encoding(trainer, mnist_run):
    images, truth = held_out(trainer, mnist_run, 100)
    rgba = [Image.fromarray(x).convert("RGBA") for x in images]
    encodings = {
        "png": [encode(x) for x in images],
        "jpeg": [encode(x, "JPEG", quality=95) for x in images],
        "rgba": [encode(x) for x in rgba],
        # white strokes on a transparent background, as a drawing app saves a digit
        "transparent": [encode(Image.fromarray(np.dstack([np.full_like(x, 255)] * 3 + [x])))
                        for x in images],
        "16-bit": [encode(Image.fromarray(x.astype("<u2") * 257)) for x in images],
        "resized": [encode(Image.fromarray(x).resize((84, 84), Image.Resampling.BICUBIC))
                    for x in images],
        "bmp": [encode(x, "BMP") for x in images],
    }  # fmt: skip
    for name, data in encodings.items():
        answer = predict(trainer, mnist_run["id"], *data)
        assert answer.status_code == 200, (name, answer.text)
        got = [p["index"] for p in answer.json()["predictions"]]
        right = sum(g == t for g, t in zip(got, truth, strict=True))
        assert right >= 85, (name, right)


def test_a_dark_digit_on_white_paper_is_inverted_and_read_the_same(trainer, mnist_run):
    images, _ = held_out(trainer, mnist_run, 20)
    plain = predict(trainer, mnist_run["id"], *(encode(x) for x in images)).json()
    paper = predict(trainer, mnist_run["id"], *(encode(255 - x) for x in images)).json()
    assert all(p["preprocessing"]["inverted"] for p in paper["predictions"])
    assert not any(p["preprocessing"]["inverted"] for p in plain["predictions"])
    assert [p["index"] for p in paper["predictions"]] == [p["index"] for p in plain["predictions"]]
    forced = predict(trainer, mnist_run["id"], encode(255 - images[0]), invert="false").json()
    assert forced["predictions"][0]["preprocessing"]["inverted"] is False


def test_digits_model_reads_most_held_out_digits(trainer, digits_run):
    folder = trainer.data_dir / "datasets" / "1"
    x, y = np.load(folder / "x_test.npy"), np.load(folder / "y_test.npy")
    pngs = [encode((x[i].astype(np.float32) * 255 / 16).round().astype(np.uint8))
            for i in range(100)]  # fmt: skip
    answer = predict(trainer, digits_run["id"], *pngs, k=3)
    got = [p["index"] for p in answer.json()["predictions"]]
    assert sum(g == t for g, t in zip(got, y[:100], strict=True)) >= 85
    first = answer.json()["predictions"][0]
    assert len(first["top_k"]) == 3 and first["label"] == first["top_k"][0]["label"]
    assert isinstance(first["low_confidence"], bool)


def test_fashion_tiles_go_to_an_rgb_free_grayscale_model(trainer, mnist_run):
    x, _ = tiles()
    answer = predict(trainer, mnist_run["id"], encode(Image.fromarray(x[0]).convert("RGB")))
    prep = answer.json()["predictions"][0]["preprocessing"]
    assert answer.status_code == 200 and prep["color_mode"] == "grayscale"


BAD = [
    ("text-renamed-png", b"just words, not pixels\n", 415, "not an image"),
    ("pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", 415, "not an image"),
    ("svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', 415,
     "not an image"),
    ("eps", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", 415, "not an image"),
    # a 28 x 28 PNG cut short (made here, not from MNIST: parametrize runs at import)
    ("truncated-png", encode(np.arange(784, dtype=np.uint8).reshape(28, 28))[:60], 422,
     "truncated"),
    ("decompression-bomb", png_header(30_000, 30_000), 422, "decompression bomb"),
]  # fmt: skip


@pytest.mark.parametrize("data,status,words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_images_are_refused_and_the_server_keeps_serving(trainer, mnist_run, data, status,
                                                            words):  # fmt: skip
    answer = predict(trainer, mnist_run["id"], data)
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    message = detail if isinstance(detail, str) else detail[0]["msg"]
    assert words in message and "image0.png" in message
    assert predict(trainer, mnist_run["id"], encode(mnist_images()[0])).status_code == 200


def test_wrong_runs_and_requests(trainer, mnist_run):
    assert predict(trainer, 999, encode(mnist_images()[0])).status_code == 404
    queued = submit(trainer, mlp([8, 8]), epochs=1000, batch_size=8)
    answer = predict(trainer, queued["id"], encode(mnist_images()[0]))
    assert answer.status_code == 409 and "completed" in answer.json()["detail"]
    httpx.post(f"{trainer.url}/api/runs/{queued['id']}/cancel")
    empty = httpx.post(f"{trainer.url}/api/runs/{mnist_run['id']}/predict", timeout=30)
    assert empty.status_code == 422 and "`file`" in empty.text
    big = predict(trainer, mnist_run["id"], b"\x89PNG" + bytes(21 * 1024 * 1024))
    assert big.status_code == 413 and "MAX_IMAGE_BYTES" in big.json()["detail"]
    bad = predict(trainer, mnist_run["id"], encode(mnist_images()[0]), invert="maybe")
    assert bad.status_code == 422


def test_a_csv_run_without_images_is_409(trainer):
    rows = "label,a,b,c\n" + "".join(f"{i % 2},{i},{i + 1},{i * 2}\n" for i in range(40))
    dataset = httpx.post(f"{trainer.url}/api/datasets", data={"name": "tabular"},
                         files=[("files", ("t.csv", rows.encode()))]).json()  # fmt: skip
    stack = {
        "layers": [dense(2, activation="softmax")],
        "compile": {"loss": "sparse_categorical_crossentropy"},
    }
    run = wait_for(trainer, submit(trainer, stack, epochs=1, dataset_id=dataset["id"])["id"])
    answer = predict(trainer, run["id"], encode(mnist_images()[0]))
    assert answer.status_code == 409 and "not images" in answer.json()["detail"]
