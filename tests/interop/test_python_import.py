"""Pasted Keras code becomes an architecture: read with `ast`, never run."""

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from app.interop.python_import import ImportProblem, import_python
from app.stacks.stack import check_stack
from app.stacks.summary import check_and_summarize
from tests.helpers.paths import REPO, shared_file

SEED = "seed/000_6887c3e33ad7f53f.txt"  # the tutorial, in ../shared


@cache
def blocks() -> list[str]:
    """The tutorial's ```python3 blocks, read when a test first asks for them."""
    return re.findall(r"```python3\n(.*?)```", shared_file(SEED).read_text(), re.S)


MODEL_BLOCKS = {1, 2, 3, 4, 5, 7, 8, 9, 10, 11}  # the others only import, print or plot


def summarize(result):
    return check_and_summarize(result["architecture"], 200, 50_000_000)[1]


def layers(source):
    return import_python(source)["architecture"]["layers"]


def test_every_tutorial_block_imports_or_says_there_is_no_model():
    assert len(blocks()) == 15
    for index, block in enumerate(blocks()):
        if index in MODEL_BLOCKS:
            check_stack(import_python(block)["architecture"], 200)  # valid as returned
        else:
            with pytest.raises(ImportProblem, match="no Sequential model found"):
                import_python(block)


def test_the_cnn_block_has_the_tutorials_summary():
    summary = summarize(import_python(blocks()[5]))
    assert summary.total_params == 103_562
    assert [row.output_shape for row in summary.layers] == [
        [None, 30, 30, 16],
        [None, 10, 10, 16],
        [None, 1600],
        [None, 64],
        [None, 10],
    ]
    assert [row.params for row in summary.layers] == [448, 0, 0, 102_464, 650]


def test_maxpool2d_alias_and_flatten_without_import():
    types = [layer["type"] for layer in layers(blocks()[5])]
    assert types == ["Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]


def test_strided_same_padding_block():
    result = import_python(blocks()[7])
    assert result["architecture"]["layers"][0]["args"] == {
        "filters": 16,
        "kernel_size": [3, 3],
        "strides": [2, 2],
        "padding": "same",
        "input_shape": [28, 28, 1],
    }
    shapes = [row.output_shape for row in summarize(result).layers]
    assert shapes == [[None, 14, 14, 16], [None, 4, 4, 16]]


def test_channels_first_block():
    result = import_python(blocks()[8])
    assert result["architecture"]["layers"][1]["args"]["data_format"] == "channels_first"
    shapes = [row.output_shape for row in summarize(result).layers]
    assert shapes == [[None, 16, 28, 28], [None, 16, 9, 9]]


def test_sgd_as_a_loss_is_reported_with_its_line_and_left_out():
    result = import_python(blocks()[9])
    assert result["architecture"]["compile"] == {
        "optimizer": "adam",
        "metrics": ["accuracy", "mse"],
    }
    [entry] = result["ignored"]
    assert entry["line"] == 7  # loss='sgd', #sthocastic gradient descent
    assert "'sgd' is an optimizer, not a loss" in entry["message"]
    assert "left out" in entry["message"]


def test_misspelled_loss_and_metric_are_reported_with_the_fix():
    result = import_python(blocks()[10])
    assert result["architecture"]["compile"] == {
        "optimizer": {"name": "SGD"},
        "metrics": [{"name": "MeanAbsoluteError"}],
    }
    lines = {entry["line"]: entry["message"] for entry in result["ignored"]}
    assert "Did you mean 'BinaryCrossentropy'?" in lines[12]
    assert "Did you mean 'BinaryAccuracy'?" in lines[13]


def test_fit_gives_epochs_and_batch_size():
    result = import_python(blocks()[11])
    assert result["fit"] == {"epochs": 10, "batch_size": 256}
    assert {entry["line"] for entry in result["ignored"]} == {12, 13}  # X_train: silent


def test_misspelled_argument_is_dropped_and_the_object_kept():
    result = import_python(
        "import tensorflow as tf\n"
        "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
        "model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.001, momentum=0.9),\n"
        "              loss=tf.keras.losses.BinaryCrossentropy(form_logit=True))\n"
    )
    assert result["architecture"]["compile"] == {
        "optimizer": {"name": "SGD", "learning_rate": 0.001, "momentum": 0.9},
        "loss": {"name": "BinaryCrossentropy"},
    }
    [entry] = result["ignored"]
    assert entry["line"] == 4 and "Did you mean 'from_logits'?" in entry["message"]


def test_sequential_then_add_with_names():
    result = import_python(
        "from tensorflow.keras.models import Sequential\n"
        "from tensorflow.keras.layers import Dense\n"
        "model = Sequential(name='mlp')\n"
        "model.add(Dense(64, 'relu', input_shape=(784,), name='hidden'))\n"
        "model.add(Dense(10, activation='softmax'))\n"
    )
    assert result["architecture"]["name"] == "mlp"
    assert result["architecture"]["layers"] == [
        {"type": "Dense", "args": {"units": 64, "activation": "relu", "input_shape": [784]},
         "name": "hidden"},
        {"type": "Dense", "args": {"units": 10, "activation": "softmax"}},
    ]  # fmt: skip
    assert summarize(result).total_params == 784 * 64 + 64 + 64 * 10 + 10


@pytest.mark.parametrize(
    "source",
    [
        "from keras.layers import Dense as D\nfrom keras.models import Sequential\n"
        "model = Sequential([D(8, input_shape=(4,))])",
        "from keras import layers\nimport keras\nmodel = keras.Sequential([layers.Dense(8, "
        "input_shape=(4,))])",
        "import tensorflow as tf\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(8, "
        "input_shape=(4,))])",
        "import tensorflow as tf\nmodel = tf.keras.models.Sequential()\n"
        "model.add(tf.keras.layers.Dense(8, input_shape=(4,)))",
        "from tensorflow import keras\nmodel = keras.Sequential([keras.Input(shape=(4,)), "
        "keras.layers.Dense(8)])",
    ],
)
def test_import_styles_and_aliases(source):
    architecture = import_python(source)["architecture"]
    assert architecture["layers"][0]["type"] == "Dense"
    assert architecture["layers"][0]["args"]["units"] == 8
    assert check_stack(architecture, 200).input_shape == (4,)


@pytest.mark.parametrize(
    "call,args",
    [
        ("Dense(28*28, 'relu')", {"units": 784, "activation": "relu"}),
        ("Conv1D(8, 3, 2, 'same')", {"filters": 8, "kernel_size": 3, "strides": 2,
                                     "padding": "same"}),
        ("MaxPooling2D(2, 1, 'same')", {"pool_size": 2, "strides": 1, "padding": "same"}),
        ("Dropout(0.5)", {"rate": 0.5}),
        ("Reshape((28, 28, 1))", {"target_shape": [28, 28, 1]}),
        ("Reshape((-1,))", {"target_shape": [-1]}),
        ("Embedding(1000, 64)", {"input_dim": 1000, "output_dim": 64}),
        ("LSTM(32, return_sequences=True)", {"units": 32, "return_sequences": True}),
        ("GRU(16)", {"units": 16}),
        ("Activation('tanh')", {"activation": "tanh"}),
        ("Activation(tf.nn.relu)", {"activation": "relu"}),
        ("Rescaling(1/255, -0.5)", {"scale": 1 / 255, "offset": -0.5}),
        ("RandomFlip('horizontal')", {"mode": "horizontal"}),
        ("RandomRotation(0.1)", {"factor": 0.1}),
        ("RandomZoom(0.1, 0.2)", {"height_factor": 0.1, "width_factor": 0.2}),
        ("Flatten()", {}),
        ("Dense(4, kernel_initializer=tf.keras.initializers.RandomNormal(stddev=0.1))",
         {"units": 4, "kernel_initializer": {"name": "RandomNormal", "stddev": 0.1}}),
        ("Dense(4, kernel_regularizer=regularizers.l2(0.01))",
         {"units": 4, "kernel_regularizer": {"name": "L2", "l2": 0.01}}),
        ("Dense(4, bias_initializer='zeros', use_bias=None or True)", None),
    ],
)  # fmt: skip
def test_positional_and_keyword_arguments(call, args):
    source = (
        f"import tensorflow as tf\nfrom keras import regularizers\nmodel = Sequential([{call}])"
    )
    if args is None:
        with pytest.raises(ImportProblem, match="cannot read"):
            import_python(source)
        return
    assert layers(source)[0]["args"] == args


def test_statements_outside_the_model_are_listed_not_errors():
    result = import_python(
        "model = Sequential([Dense(1, input_shape=(3,))])\n"
        "print(model.summary())\n"
        "df = pd.DataFrame(history.history)\n"
        "loss, acc = model.evaluate(X_test, y_test)\n"
        "print(labels[np.argmax(model.predict(x))])\n"
    )
    assert [entry["line"] for entry in result["ignored"]] == [2, 3, 4, 5]
    assert result["ignored"][0]["message"] == "not part of the model: print(model.summary())"


@pytest.mark.parametrize(
    "source,words,line,column",
    [
        ("model = Sequential([\n    Dense(10,, 'relu')])", "not valid Python", 2, 14),
        ("model = Sequential([Lambda(lambda x: x * 2)])", "Lambda is not supported: it runs "
         "arbitrary code", 1, 21),
        ("import os\nmodel = Sequential()\nmodel.add(os.system('ls'))",
         "os.system is not a Keras layer", 3, 11),
        ("model = Sequential([__import__('os').system('ls')])", "is not a Keras layer", 1, 21),
        ("model = Sequential([Dens(10)])", "unknown layer Dens; did you mean Dense?", 1, 21),
        ("model = Sequential([Conv2D(UNITS, 3)])", "cannot read 'UNITS'", 1, 28),
        ("model = Sequential([Dense(int('3'))])", "cannot run int(...)", 1, 27),
        ("n = 3\nmodel = Sequential([Dense(f'{n}')])", "f-strings are not imported", 2, 27),
        ("model = Sequential([Dense(10**10**10)])", "too large", 1, 27),
        ("model = Sequential([Dropout(0.5, None)])", "Dropout takes at most 1", 1, 34),
        ("model = Sequential(layer_list)", "list the layers inside Sequential", 1, 20),
        ("model = Sequential([Dense(**kw)])", "name each argument", 1, 27),
        ("import numpy as np\nx = np.ones(3)", "no Sequential model found", 1, 1),
    ],
)  # fmt: skip
def test_problems_say_where(source, words, line, column):
    with pytest.raises(ImportProblem) as caught:
        import_python(source)
    assert words in caught.value.message
    assert (caught.value.line, caught.value.column) == (line, column)


def test_nothing_in_the_source_is_run(tmp_path: Path):
    marker = tmp_path / "pwned"
    payloads = [
        f"model = Sequential([Dense(__import__('os').system('touch {marker}'))])",
        f"model = Sequential([__import__('os').system('touch {marker}')])",
        f"import os\nos.system('touch {marker}')\nmodel = Sequential([Dense(1)])",
        f"model = Sequential([Dense(1, name=open('{marker}', 'w').name)])",
    ]
    outcomes = []
    for source in payloads:
        try:
            outcomes.append(import_python(source)["ignored"][0]["message"])
        except ImportProblem as problem:
            outcomes.append(problem.message)
    assert not marker.exists()
    assert outcomes[2].startswith("not part of the model: os.system(")


def test_the_importer_never_loads_tensorflow():
    code = (
        "import sys; from app.interop.python_import import import_python\n"
        f"import_python({blocks()[11]!r})\n"
        "assert not {'tensorflow', 'keras'} & set(sys.modules), 'Keras was imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)
