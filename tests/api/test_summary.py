"""POST /api/summary: the live summary, identical to model.summary() (see tests/ml)."""

from tests.helpers.stacks import SEED_CNN, dense, mlp, with_layers


def test_seed_cnn_summary_figures(client):
    response = client.post("/api/summary", json=SEED_CNN)
    assert response.status_code == 200
    body = response.json()
    assert [(r["name"], r["type"], r["output_shape"], r["params"]) for r in body["layers"]] == [
        ("conv2d", "Conv2D", [None, 30, 30, 16], 448),
        ("max_pooling2d", "MaxPooling2D", [None, 10, 10, 16], 0),
        ("flatten", "Flatten", [None, 1600], 0),
        ("dense", "Dense", [None, 64], 102464),
        ("dense_1", "Dense", [None, 10], 650),
    ]
    assert body["total_params"] == 103562
    assert body["trainable_params"] == 103562
    assert body["non_trainable_params"] == 0
    assert body["size_bytes"] == 103562 * 4
    assert body["warnings"] == []


def test_input_shape_on_the_first_layer_as_in_the_tutorial(client):
    body = {
        "layers": [
            {"type": "Flatten", "args": {"input_shape": [28, 28]}},
            dense(64, activation="relu"),
            dense(10, activation="softmax"),
        ]
    }
    response = client.post("/api/summary", json=body)
    assert response.status_code == 200
    assert response.json()["input_shape"] == [28, 28]
    assert response.json()["total_params"] == 784 * 64 + 64 + 650


def test_digits_mlp_has_4810_params(client):
    assert client.post("/api/summary", json=mlp([8, 8])).json()["total_params"] == 4810


def test_batch_norm_counts_non_trainable_params(client):
    body = with_layers(dense(32), {"type": "BatchNormalization"})
    summary = client.post("/api/summary", json=body).json()
    assert summary["layers"][1]["trainable_params"] == 64
    assert summary["layers"][1]["non_trainable_params"] == 64
    assert summary["non_trainable_params"] == 64


def test_softmax_with_from_logits_is_a_warning_naming_layer_and_fix(client):
    body = mlp(loss={"name": "SparseCategoricalCrossentropy", "from_logits": True})
    response = client.post("/api/summary", json=body)
    assert response.status_code == 200
    (warning,) = response.json()["warnings"]
    assert warning["index"] == 2 and warning["type"] == "activation_with_logits"
    assert "layers[2] (Dense 'dense_1')" in warning["msg"]
    assert "from_logits" in warning["msg"] and "softmax" in warning["msg"]
    assert warning["fix"]["compile"]["loss"]["from_logits"] is False


def test_dense_on_images_is_a_warning_with_insert_flatten(client):
    body = with_layers(
        dense(64, activation="relu"), dense(10, activation="softmax"), input_shape=[28, 28]
    )
    response = client.post("/api/summary", json=body)
    assert response.status_code == 200
    assert response.json()["layers"][-1]["output_shape"] == [None, 28, 10]
    (warning,) = response.json()["warnings"]  # only the first Dense of the chain
    assert warning["index"] == 0 and warning["type"] == "dense_multi_dim_input"
    assert "Flatten" in warning["msg"] and "(None, 28, 28)" in warning["msg"]
    assert warning["fix"] == {
        "action": "insert",
        "index": 0,
        "label": "Insert Flatten() here",
        "layer": {"type": "Flatten", "args": {}},
    }


def test_softmax_on_one_unit_is_a_warning(client):
    body = with_layers(dense(8), dense(1, activation="softmax"), input_shape=[32])
    (warning,) = client.post("/api/summary", json=body).json()["warnings"]
    assert warning["type"] == "softmax_single_unit" and "sigmoid" in warning["msg"]


def test_no_input_shape_gives_an_unbuilt_summary(client):
    body = {"layers": [dense(64, activation="relu"), dense(10, activation="softmax")]}
    summary = client.post("/api/summary", json=body).json()
    assert summary["built"] is False and summary["total_params"] == 0
    assert [r["output_shape"] for r in summary["layers"]] == [None, None]
    assert "input_shape" in summary["warnings"][0]["msg"]


def test_summary_does_not_save_anything(client):
    client.post("/api/summary", json=SEED_CNN)
    assert client.get("/api/architectures").json()["count"] == 0
