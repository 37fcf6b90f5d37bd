"""Import and export over HTTP: pasted tutorial code and Keras JSON in, runnable Python out."""

import json

from tests.helpers.stacks import SEED_CNN

TUTORIAL_CNN = """
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense,Conv2D, MaxPool2D

model = Sequential()
model.add(Conv2D(16, kernel_size=3, activation = 'relu', input_shape=(32,32,3)))
model.add(MaxPool2D((3,3)))
model.add(Flatten())
model.add(Dense(64,activation='relu'))
model.add(Dense(10,activation='softmax'))
print(model.summary())
"""

TUTORIAL_MISTAKES = """
model = Sequential([
    Dense(64,activation='relu', input_shape = (32,)),
    Dense(1, activation = 'sigmoid')
])

model.compile(
    loss='sgd', #sthocastic gradient descent
    optimizer = 'adam',
    metrics=['accuracy','mse'] #mse=mean squared error
)
"""


def test_tutorial_cnn_code_imports_to_the_tutorials_summary_and_saves(client):
    answer = client.post("/api/architectures/import", json={"source": TUTORIAL_CNN, "save": True})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["summary"]["total_params"] == 103562
    assert {"line": body["ignored"][0]["line"]} == {"line": 11}  # print(model.summary())
    saved = client.get(f"/api/architectures/{body['id']}").json()
    assert saved["layers"] == body["architecture"]["layers"]


def test_the_tutorials_mistakes_are_reported_with_the_fix(client):
    body = client.post("/api/architectures/import", json={"source": TUTORIAL_MISTAKES}).json()
    messages = " ".join(item["message"] for item in body["ignored"])
    assert "'sgd' is an optimizer, not a loss" in messages
    assert body["id"] is None and body["architecture"]["compile"]["optimizer"] == "adam"


def test_bad_code_is_422_with_line_and_column_and_nothing_runs(client, tmp_path):
    marker = tmp_path / "pwned"
    cases = {
        "model = Sequential([\n  Dense(64,\n": "line",
        "model = Sequential([Lambda(lambda x: x)])": "Lambda",
        f"model = Sequential([Dense(__import__('os').system('touch {marker}'))])": "line 1",
    }
    for source, words in cases.items():
        answer = client.post("/api/architectures/import", json={"source": source})
        assert answer.status_code == 422, answer.text
        problem = answer.json()["detail"][0]
        assert problem["loc"] == ["body", "source"] and words in problem["msg"]
    assert not marker.exists()
    assert client.get("/api/architectures").json()["count"] == 0


def test_keras_json_imports_and_functional_models_are_refused(client):
    document = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "Dense", "config": {"name": "dense", "units": 64, "activation": "relu",
                                           "batch_input_shape": [None, 784]}},
        {"class_name": "Dense", "config": {"name": "dense_1", "units": 10,
                                           "activation": "softmax"}}]}}  # fmt: skip
    answer = client.post(
        "/api/architectures/import", json={"format": "keras-json", "source": json.dumps(document)}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["summary"]["total_params"] == 784 * 64 + 64 + 650
    functional = {"class_name": "Functional", "config": {"layers": []}}
    refused = client.post(
        "/api/architectures/import", json={"format": "keras-json", "source": json.dumps(functional)}
    )
    assert refused.status_code == 422 and "only Sequential" in refused.json()["detail"][0]["msg"]


def test_export_then_import_is_the_identity(client):
    saved = client.post("/api/architectures", json=SEED_CNN).json()
    code = client.get(f"/api/architectures/{saved['id']}/export", params={"format": "python"})
    assert code.status_code == 200 and "Sequential([" in code.text
    assert "model.compile(" in code.text
    back = client.post("/api/architectures/import", json={"source": code.text}).json()
    assert back["architecture"]["layers"] == saved["layers"]
    assert back["architecture"]["input_shape"] == saved["input_shape"]
    assert back["architecture"]["compile"] == saved["compile"]
    assert client.get("/api/architectures/99/export").status_code == 404
