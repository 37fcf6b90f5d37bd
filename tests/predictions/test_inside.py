"""Looking inside trained models, for real: a small CNN and an MLP trained on the digits
through the API; every layer's output, the first convolution's kernels, Grad-CAM and input
gradients, and the test samples behind each confusion-matrix cell."""

from __future__ import annotations

import base64
import io

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.helpers.images import encode, png_header
from tests.helpers.runs import submit, wait_for
from tests.helpers.stacks import mlp

pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def digits_mlp_run(trainer) -> dict:
    run = wait_for(trainer, submit(trainer, mlp([8, 8]), epochs=10)["id"])
    assert run["status"] == "completed", run["error"]
    return run


@pytest.fixture(scope="module")
def digits(trainer) -> tuple[np.ndarray, np.ndarray]:
    """The built-in digits' test split as stored (values 0..16)."""
    folder = trainer.data_dir / "datasets" / "1"
    return np.load(folder / "x_test.npy"), np.load(folder / "y_test.npy")


def png_of(x: np.ndarray) -> bytes:
    return encode((x.astype(np.float32) * 255 / 16).round().astype(np.uint8))


def post(server, run_id: int, what: str, image: bytes | None, **params) -> httpx.Response:
    files = {"file": ("digit.png", image, "image/png")} if image is not None else None
    return httpx.post(f"{server.url}/api/runs/{run_id}/{what}", files=files, params=params,
                      timeout=60)  # fmt: skip


def decoded(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def test_activations_of_a_cnn_have_the_shapes_its_summary_lists(trainer, digits_cnn_run, digits):
    run = digits_cnn_run
    summary = httpx.post(f"{trainer.url}/api/summary", json=run["stack"]).json()
    answer = post(trainer, run["id"], "activations", png_of(digits[0][0]))
    assert answer.status_code == 200, answer.text
    layers = answer.json()["layers"]
    assert [(a["name"], a["class"], a["output_shape"]) for a in layers] == [
        (row["name"], row["type"], row["output_shape"]) for row in summary["layers"]
    ]
    conv, pool, flat, dense = layers
    assert conv["kind"] == pool["kind"] == "maps" and conv["count"] == conv["shown"] == 8
    grid = decoded(conv["png"])  # 8 tiles of 6x6 in 3 columns, a clear 1-pixel gap between
    assert (conv["rows"], conv["cols"], conv["tile"]) == (3, 3, [6, 6])
    assert grid.shape == (3 * 7 - 1, 3 * 7 - 1, 2) and grid[..., 0].max() == 255
    assert (grid[6, :, 1] == 0).all() and (grid[:6, :6, 1] == 255).all()
    assert flat["kind"] == "values" and flat["count"] == len(flat["values"]) == 72
    predicted = post(trainer, run["id"], "predict", png_of(digits[0][0]), k=10).json()
    probs = {p["index"]: p["probability"] for p in predicted["predictions"][0]["top_k"]}
    assert np.allclose(dense["values"], [probs[i] for i in range(10)], atol=1e-4)


def test_a_test_sample_by_index_is_the_same_as_its_image(trainer, digits_cnn_run, digits):
    x, y = digits
    by_index = post(trainer, digits_cnn_run["id"], "activations", None, sample=5)
    assert by_index.status_code == 200, by_index.text
    by_image = post(trainer, digits_cnn_run["id"], "activations", png_of(x[5])).json()
    seen = by_index.json()["preprocessing"]
    assert (seen["sample"], seen["true"]) == (5, int(y[5]))
    # The PNG rounds 0..16 onto 0..255 and back: the same numbers, within that rounding.
    assert np.allclose(by_index.json()["layers"][3]["values"], by_image["layers"][3]["values"],
                       atol=0.02)  # fmt: skip
    why = post(trainer, digits_cnn_run["id"], "saliency", None, sample=5).json()
    assert np.array(why["map"]).shape == (8, 8)
    past = post(trainer, digits_cnn_run["id"], "activations", None, sample=len(y))
    assert past.status_code == 422 and f"from 0 to {len(y) - 1}" in past.text
    both = post(trainer, digits_cnn_run["id"], "activations", png_of(x[5]), sample=5)
    assert both.status_code == 422 and "not both" in both.text


def test_an_unchanged_image_is_answered_from_the_cache(trainer, digits_cnn_run, digits):
    image = png_of(digits[0][1])
    first = post(trainer, digits_cnn_run["id"], "activations", image).json()
    again = post(trainer, digits_cnn_run["id"], "activations", image).json()
    assert first == again
    inverted = post(trainer, digits_cnn_run["id"], "activations", image, invert="true").json()
    assert inverted["layers"][0]["png"] != first["layers"][0]["png"]  # a key of its own


def test_first_layer_filters_are_its_kernels_as_small_images(trainer, digits_cnn_run):
    answer = httpx.get(f"{trainer.url}/api/runs/{digits_cnn_run['id']}/filters")
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["layer"] == {"name": "conv2d", "class": "Conv2D", "kernel_shape": [3, 3, 1, 8]}
    assert found["count"] == found["shown"] == 8 and found["mode"] == "grayscale"
    kernels = np.array(found["kernels"])
    assert kernels.shape == (8, 3, 3) and kernels.min() == 0 and kernels.max() == 255


def test_a_stack_without_a_convolution_has_no_filters(trainer, digits_mlp_run):
    found = httpx.get(f"{trainer.url}/api/runs/{digits_mlp_run['id']}/filters").json()
    assert found["layer"] is None and found["kernels"] == []


def test_grad_cam_map_has_the_input_height_and_width(trainer, digits_cnn_run, digits):
    x, _ = digits
    answer = post(trainer, digits_cnn_run["id"], "saliency", png_of(x[0]))
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["method"].startswith("grad-cam") and found["layer"] == "conv2d"
    assert found["size"] == [8, 8] and np.array(found["map"]).shape == (8, 8)
    assert np.array(found["map"]).max() == 1.0 and np.array(found["map"]).min() >= 0
    assert found["preprocessing"]["model_input_png"].startswith("data:image/png")
    other = post(trainer, digits_cnn_run["id"], "saliency", png_of(x[0]), class_index=3).json()
    assert other["class_index"] == 3 and other["label"] == "3"


def test_input_gradients_explain_a_model_without_a_convolution(trainer, digits_mlp_run, digits):
    answer = post(trainer, digits_mlp_run["id"], "saliency", png_of(digits[0][2]))
    found = answer.json()
    assert found["method"] == "input-gradients" and found["layer"] is None
    assert np.array(found["map"]).shape == (8, 8) and np.array(found["map"]).max() == 1.0


def test_examples_are_exactly_the_test_samples_of_each_cell(trainer, digits_cnn_run, digits, keras):
    run = digits_cnn_run
    x, y = digits
    model = keras.saving.load_model(trainer.data_dir / "runs" / str(run["id"]) / "model.keras")
    scores = model.predict((x / 16.0).astype("float32")[..., None], batch_size=256, verbose=0)
    predicted = scores.argmax(axis=1)
    for t, row in enumerate(run["confusion"]):
        for p, count in enumerate(row):
            url = f"{trainer.url}/api/runs/{run['id']}/examples?true={t}&predicted={p}&limit=100"
            found = httpx.get(url).json()
            assert found["count"] == count, (t, p)
            expected = np.flatnonzero((y == t) & (predicted == p))
            assert sorted(e["index"] for e in found["data"]) == sorted(expected.tolist())[:100]
            confidence = [e["probability"] for e in found["data"]]
            assert confidence == sorted(confidence, reverse=True)
            for e in found["data"]:
                assert np.isclose(e["probability"], scores[e["index"], p], atol=1e-5)
                assert (e["true"], e["predicted"]) == (t, p) and e["image"]


def test_examples_without_a_cell_are_every_mistake_most_confident_first(trainer, digits_cnn_run):
    run = digits_cnn_run
    mistakes = sum(c for t, row in enumerate(run["confusion"]) for p, c in enumerate(row) if t != p)
    found = httpx.get(f"{trainer.url}/api/runs/{run['id']}/examples?limit=5").json()
    assert found["count"] == mistakes and len(found["data"]) == min(5, mistakes)
    assert all(e["true"] != e["predicted"] for e in found["data"])
    page2 = httpx.get(f"{trainer.url}/api/runs/{run['id']}/examples?limit=5&offset=5").json()
    if mistakes > 5:
        assert page2["data"][0]["probability"] <= found["data"][-1]["probability"]


def test_bad_requests_are_refused_in_words(trainer, digits_cnn_run):
    run_id = digits_cnn_run["id"]
    none = post(trainer, run_id, "activations", None)
    assert none.status_code == 422 and "multipart field `file`" in none.text
    huge = post(trainer, run_id, "activations", png_header(8000, 8000))
    assert huge.status_code == 413 and "MAX_IMAGE_PIXELS" in huge.text
    for params, name in (({"true": 10}, "true"), ({"predicted": 12, "true": 1}, "predicted")):
        answer = httpx.get(f"{trainer.url}/api/runs/{run_id}/examples", params=params)
        assert answer.status_code == 422, answer.text
        problem = answer.json()["detail"][0]
        assert problem["loc"] == ["query", name] and "from 0 to 9" in problem["msg"]
    wrong = post(trainer, run_id, "saliency", png_header(8, 8), class_index=10)
    assert wrong.status_code == 422 and "class_index=10" in wrong.text
    assert httpx.get(f"{trainer.url}/api/runs/999999/filters").status_code == 404


def test_a_run_that_is_not_completed_has_nothing_to_look_inside(trainer):
    run = submit(trainer, mlp([8, 8]), epochs=500)
    httpx.post(f"{trainer.url}/api/runs/{run['id']}/cancel")
    wait_for(trainer, run["id"], done=("cancelled", "completed"))
    for what in ("activations", "saliency"):
        answer = post(trainer, run["id"], what, png_header(8, 8))
        assert answer.status_code == 409 and "only a completed run" in answer.text
    for what in ("filters", "examples"):
        assert httpx.get(f"{trainer.url}/api/runs/{run['id']}/{what}").status_code == 409
