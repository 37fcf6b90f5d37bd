"""Every mistake the foundation issue lists: 422 (or 413) naming the layer or field, what was
received and the fix; the server keeps working and nothing saved changes."""

from typing import Any

import pytest

from tests.helpers.stacks import SEED_CNN, dense, mlp, with_layers


def _loss(loss: Any) -> dict[str, Any]:
    return mlp(loss=loss)


def _metrics(*metrics: Any) -> dict[str, Any]:
    return mlp(metrics=list(metrics))


CONV = {"type": "Conv2D", "args": {"filters": 8, "kernel_size": 3}}

# (id, body, loc after "body", words the message must contain)
BAD = [
    ("conv2d-on-flat-input", with_layers(CONV),
     ["layers", 0], ["layers[0] (Conv2D", "(None, 784)", "Reshape([28, 28, 1])"]),
    ("kernel-larger-than-input",
     with_layers({"type": "Conv2D", "args": {"filters": 8, "kernel_size": 5}},
                 input_shape=[4, 4, 1]),
     ["layers", 0], ["kernel_size (5, 5) is larger than its input (4, 4)", "padding='same'"]),
    ("pool-larger-than-input",
     with_layers(CONV, {"type": "MaxPooling2D", "args": {"pool_size": 4}}, input_shape=[5, 5, 1]),
     ["layers", 1], ["layers[1] (MaxPooling2D",
                     "pool_size (4, 4) is larger than its input (3, 3)"]),
    ("zero-units", with_layers(dense(0)),
     ["layers", 0, "args", "units"], ["layers[0] (Dense)", "integer >= 1", "units=0"]),
    ("negative-units", with_layers(dense(-3)),
     ["layers", 0, "args", "units"], ["integer >= 1", "units=-3"]),
    ("fractional-units", with_layers(dense(1.5)),
     ["layers", 0, "args", "units"], ["integer >= 1", "units=1.5"]),
    ("boolean-units", with_layers(dense(True)),
     ["layers", 0, "args", "units"], ["units=true (a boolean)"]),
    ("string-units", with_layers(dense("64")),
     ["layers", 0, "args", "units"], ["units='64' (a string)"]),
    ("unknown-layer-type", with_layers({"type": "Dens", "args": {"units": 3}}),
     ["layers", 0, "type"], ["unknown layer type 'Dens'", "Did you mean 'Dense'?"]),
    ("unknown-argument", with_layers(dense(3, activaton="relu")),
     ["layers", 0, "args", "activaton"], ["Dense has no argument `activaton`",
                                          "Did you mean 'activation'?"]),
    ("lambda", with_layers({"type": "Lambda", "args": {"function": "lambda x: x"}}),
     ["layers", 0, "type"], ["'Lambda' runs arbitrary Python code"]),
    ("outside-catalog", with_layers({"type": "os.system", "args": {}}),
     ["layers", 0, "type"], ["unknown layer type 'os.system'", "catalog"]),
    ("bad-activation", with_layers(dense(3, activation="sigmoidal")),
     ["layers", 0, "args", "activation"], ["activation='sigmoidal'", "Did you mean 'sigmoid'?"]),
    ("code-as-activation", with_layers(dense(3, activation="__import__('os')")),
     ["layers", 0, "args", "activation"], ["Expected one of 'linear', 'relu'"]),
    ("empty-stack", with_layers(), ["layers"], ["The stack is empty"]),
    ("too-many-layers", with_layers(*[dense(2)] * 201),
     ["layers"], ["201 layers", "limit is 200", "MAX_LAYERS"]),
    ("over-param-cap", with_layers(dense(8000), dense(8000)),
     ["layers", 1], ["70,288,000 parameters", "cap of 50,000,000", "layers[1] (Dense 'dense_1')"]),
    ("loss-sgd", _loss("sgd"),
     ["compile", "loss"], ["'sgd' is an optimizer, not a loss", "`optimizer`"]),
    ("tf-keras-Binary_CrossEntropy", _loss("tf.keras.Binary_CrossEntropy"),
     ["compile", "loss"], ["tf.keras.Binary_CrossEntropy", "Did you mean 'BinaryCrossentropy'?"]),
    ("loss-object-Binary_CrossEntropy", _loss({"name": "Binary_CrossEntropy"}),
     ["compile", "loss"], ["Did you mean 'BinaryCrossentropy'?"]),
    ("form_logit", _loss({"name": "BinaryCrossentropy", "form_logit": True}),
     ["compile", "loss", "form_logit"],
     ["no argument `form_logit`", "Did you mean 'from_logits'?"]),
    ("BinaryAccuaracy", _metrics({"name": "BinaryAccuaracy"}),
     ["compile", "metrics", 0], ["BinaryAccuaracy", "Did you mean 'BinaryAccuracy'?"]),
    ("BinaryAccuaracy-string", _metrics("accuracy", "BinaryAccuaracy"),
     ["compile", "metrics", 1], ["Did you mean 'BinaryAccuracy'?"]),
    ("negative-learning-rate", mlp(optimizer={"name": "SGD", "learning_rate": -0.1}),
     ["compile", "optimizer", "learning_rate"], ["learning_rate=-0.1", "> 0.0"]),
    ("input-shape-zero", with_layers(dense(3), input_shape=[0]),
     ["input_shape"], ["positive integers", "input_shape=[0]"]),
    ("input-shape-twice", {"input_shape": [4], "layers": [dense(3, input_shape=[5])]},
     ["layers", 0, "args", "input_shape"], ["disagree"]),
    ("duplicate-names", with_layers({**dense(3), "name": "a"}, {**dense(3), "name": "a"}),
     ["layers", 1, "name"], ["'a' is already used"]),
    ("reshape-wrong-size",
     with_layers({"type": "Reshape", "args": {"target_shape": [27, 27, 1]}}),
     ["layers", 0], ["(None, 784) (784 values) into [27, 27, 1] (729 values)"]),
]  # fmt: skip


@pytest.fixture
def saved(client):
    response = client.post("/api/architectures", json=SEED_CNN)
    assert response.status_code == 201
    return response.json()


def _assert_problem(response, loc, words):
    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]
    assert problem["loc"] == ["body", *loc]
    for word in words:
        assert word in problem["msg"], (word, problem["msg"])


@pytest.mark.parametrize("body,loc,words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_stack_is_refused_and_nothing_changes(client, saved, body, loc, words):
    for response in (
        client.post("/api/summary", json=body),
        client.post("/api/architectures", json=body),
        client.put(f"/api/architectures/{saved['id']}", json=body),
    ):
        _assert_problem(response, loc, words)
    assert client.get(f"/api/architectures/{saved['id']}").json() == saved
    assert client.get("/api/architectures").json()["count"] == 1
    assert client.post("/api/summary", json=SEED_CNN).status_code == 200


def test_all_argument_problems_are_listed_together(client):
    body = with_layers(dense(0), dense(3, activation="nope"), dense(-1))
    detail = client.post("/api/summary", json=body).json()["detail"]
    assert [p["loc"][2] for p in detail] == [0, 1, 2]


def test_body_over_1_mb_is_413_and_nothing_changes(client, saved):
    body = {**SEED_CNN, "name": "x" * 150, "padding": "y" * 1_100_000}
    for response in (
        client.post("/api/architectures", json=body),
        client.put(f"/api/architectures/{saved['id']}", json=body),
        client.post("/api/summary", json=body),
    ):
        assert response.status_code == 413
        assert "limit is 1 MB (MAX_BODY_BYTES)" in response.json()["detail"]
    assert client.get(f"/api/architectures/{saved['id']}").json() == saved
    assert client.get("/api/architectures").json()["count"] == 1


def test_chunked_body_over_the_cap_is_413(client):
    def chunks():
        for _ in range(30):
            yield b" " * 50_000

    response = client.post("/api/summary", content=chunks(),
                           headers={"content-type": "application/json"})  # fmt: skip
    assert response.status_code == 413
    assert "more than 1 MB" in response.json()["detail"]


def test_not_json_is_422(client):
    response = client.post("/api/summary", content=b"{nope",
                           headers={"content-type": "application/json"})  # fmt: skip
    assert response.status_code == 422


def test_layers_not_a_list_is_422(client):
    response = client.post("/api/summary", json={"layers": {"type": "Dense"}})
    _assert_problem(response, ["layers"], ["Expected a list of layers"])
