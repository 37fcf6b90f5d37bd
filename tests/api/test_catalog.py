"""GET /api/layers and /api/compile-options: the catalog a UI or script renders."""

from app.catalog import LAYERS


def test_layers_lists_the_whole_catalog_with_arguments(client):
    body = client.get("/api/layers").json()
    types = {layer["type"]: layer for layer in body["layers"]}
    assert set(types) == {t.name for t in LAYERS}
    required = {
        "Dense",
        "Flatten",
        "Conv2D",
        "MaxPooling2D",
        "AveragePooling2D",
        "GlobalAveragePooling2D",
        "GlobalMaxPooling2D",
        "Dropout",
        "BatchNormalization",
        "Activation",
        "Reshape",
        "Rescaling",
        "RandomFlip",
        "RandomRotation",
        "RandomZoom",
        "Conv1D",
        "MaxPooling1D",
        "LSTM",
        "GRU",
        "Embedding",
    }
    assert required <= set(types)
    assert "MaxPool2D" in types["MaxPooling2D"]["aliases"]
    units = next(a for a in types["Dense"]["args"] if a["name"] == "units")
    assert units == {
        "name": "units",
        "kind": "int",
        "help": "Number of output units",
        "required": True,
        "nullable": False,
        "example": 64,
        "min": 1,
        "max": None,
    }
    padding = next(a for a in types["Conv2D"]["args"] if a["name"] == "padding")
    assert padding["choices"] == ["valid", "same"] and padding["default"] == "valid"
    assert all(t["group"] in body["groups"] for t in body["layers"])
    assert {"RandomNormal", "RandomUniform", "TruncatedNormal", "Constant"} <= {
        i["name"] for i in body["initializers"]
    }
    assert {r["name"] for r in body["regularizers"]} == {"L1", "L2", "L1L2"}


def test_compile_options(client):
    body = client.get("/api/compile-options").json()
    sgd = next(o for o in body["optimizers"] if o["name"] == "SGD")
    assert [a["name"] for a in sgd["args"]][:3] == ["learning_rate", "momentum", "nesterov"]
    assert {"Adam", "RMSprop", "Adagrad", "AdamW", "Nadam"} <= {
        o["name"] for o in body["optimizers"]
    }
    assert {
        "BinaryCrossentropy",
        "CategoricalCrossentropy",
        "SparseCategoricalCrossentropy",
        "MeanSquaredError",
        "MeanAbsoluteError",
        "Huber",
    } <= {loss["name"] for loss in body["losses"]}
    assert {"Precision", "Recall", "AUC", "TopKCategoricalAccuracy"} <= {
        m["name"] for m in body["metrics"]
    }
    assert body["defaults"]["optimizer"] == "rmsprop"


def test_openapi_documents_every_endpoint_with_an_example(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/layers",
        "/api/summary",
        "/api/architectures",
        "/api/architectures/{architecture_id}",
        "/api/architectures/{architecture_id}/summary",
    ):
        assert path in paths
    example = spec["components"]["schemas"]["StackIn"]["examples"][0]
    assert example["layers"][0]["type"] == "Conv2D"
    assert client.get("/docs").status_code == 200
