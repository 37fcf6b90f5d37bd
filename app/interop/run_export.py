"""A run as a script that trains the same model on the same data with the same seed, by the
same rules Layerstack's worker follows, so its history matches the run's epoch by epoch."""

from __future__ import annotations

import textwrap
from typing import Any

from app.interop.python_export import comment_text, compile_lines, layer_call, literal
from app.runs.changes import automatic_changes
from app.stacks.cpu_twin import cpu_twin, needs_twin
from app.stacks.outputs import loss_name
from app.stacks.stack import check_stack

# The worker's own rules, written out so that the script stands alone (app/ml/data.py and
# app/datasets/split.py are the originals).
PIPELINE = '''
def held_out(y, fraction, seed=0):
    """Layerstack's validation rows: a stratified, seeded share of every class."""
    rng = np.random.default_rng(seed)
    picked = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        take = round(len(members) * fraction)
        if len(members) >= 2:
            take = min(max(take, 1), len(members) - 1)
        picked.append(rng.permutation(members)[:take])
    mask = np.zeros(len(y), dtype=bool)
    mask[np.concatenate(picked)] = True
    return mask


class EpochBatches(tf.keras.callbacks.Callback):
    """Each epoch shuffled by (SEED, epoch), as Layerstack shuffles: a run resumed at
    epoch k sees the batches an uninterrupted run saw."""

    def __init__(self, x, y):
        super().__init__()
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        xs, ys = tf.constant(x), tf.constant(y)
        indices = tf.range(len(x), dtype=tf.int64)

        def one_epoch(_):
            order = indices
            if SHUFFLE:
                key = tf.stack([tf.constant(SEED, tf.int64), self.epoch.read_value()])
                order = tf.random.experimental.stateless_shuffle(indices, seed=key)
            return tf.data.Dataset.from_tensor_slices(order).batch(BATCH_SIZE)

        data = tf.data.Dataset.from_tensors(0).flat_map(one_epoch)
        data = data.map(lambda i: (tf.gather(xs, i), tf.gather(ys, i)))
        self.dataset = data.prefetch(tf.data.AUTOTUNE)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch.assign(epoch)
'''


def _prepare_lines(prep: dict[str, Any], twin_axes: tuple[int, ...] | None) -> list[str]:
    lines = ["def prepare_x(x):", "    x = x.astype('float32')"]
    if prep["scale"] != 1.0 or prep["offset"] != 0.0:
        offset = f" + np.float32({prep['offset']!r})" if prep["offset"] else ""
        lines.append(f"    x = x * np.float32({prep['scale']!r}){offset}")
    transform = prep["input"]
    if transform["kind"] == "reshape":
        lines.append(f"    x = x.reshape(len(x), *{literal(transform['shape'])})")
    elif transform["kind"] == "transpose":
        lines.append(f"    x = x.transpose(0, *{literal([a + 1 for a in transform['axes']])})")
    if twin_axes is not None:  # the CPU runs channels_last: see the note above the model
        lines.append(f"    x = x.transpose(0, *{literal([a + 1 for a in twin_axes])})")
    lines += ["    return np.ascontiguousarray(x)", "", "", "def prepare_y(y):"]
    classes = len(prep["class_names"])
    lines.append(
        {
            "one_hot": f"    return np.eye({classes}, dtype='float32')[y]",
            "binary": "    return y.astype('float32').reshape(-1, 1)",
            "value": "    return y.astype('float32').reshape(-1, 1)",
        }.get(prep["labels"], "    return y.astype('int32')")
    )
    return lines


def _changes_note(prep: dict[str, Any], loss: Any) -> list[str]:
    """The run's automatic changes as comments above the code that makes them."""
    changes = automatic_changes(prep, loss_name(loss))
    if not changes:
        return ["# Layerstack changed nothing between the dataset and the model."]
    lines = [
        "# What Layerstack changed between the dataset and the model (the run page lists the",
        "# same); prepare_x and prepare_y below do each of them, so a model trained here",
        "# expects its inputs prepared by prepare_x:",
    ]
    for change in changes:
        text = comment_text(f"{change['kind']}: {change['text']}", limit=1000)
        wrapped = textwrap.wrap(text, width=92)
        lines += [f"# - {wrapped[0]}", *(f"#   {rest}" for rest in wrapped[1:])]
    return lines


def _callbacks(fit: dict[str, Any]) -> str:
    out = ["batches"]
    if fit.get("early_stopping"):
        out.append(f"tf.keras.callbacks.EarlyStopping(**{fit['early_stopping']!r})")
    if fit.get("reduce_lr_on_plateau"):
        out.append(f"tf.keras.callbacks.ReduceLROnPlateau(**{fit['reduce_lr_on_plateau']!r})")
    return ", ".join(out)


def export_run(run: dict[str, Any], dataset_file: str, steps_per_execution: int) -> str:
    """The script for a run (its stack, fit settings and preprocessing snapshot)."""
    stack, fit, prep = check_stack(run["stack"], 10_000), run["fit"], run["preprocessing"]
    twin_axes = None
    if needs_twin(stack):
        stack, twin_axes = cpu_twin(stack)
    classes = sorted({layer.type.name for layer in stack.layers})
    calls = [
        layer_call(layer, stack.input_shape if i == 0 else None)
        for i, layer in enumerate(stack.layers)
    ]
    compile_ = compile_lines(stack.compile)
    compile_[-1] = f"    steps_per_execution={steps_per_execution},\n)"
    if fit["validation"] == "test":
        validation = "x_val, y_val = x_test, y_test"
    elif fit["validation_split"] > 0:
        validation = (
            f"val = held_out(data['y_train'], {fit['validation_split']!r})\n"
            "x_val, y_val = x_train[val], y_train[val]\n"
            "x_train, y_train = x_train[~val], y_train[~val]"
        )
    else:
        validation = "x_val = y_val = None"
    title = comment_text(run["stack"].get("name") or "model")  # the run's name, in a comment
    twin_note = (
        [
            "# TensorFlow's CPU kernels run only channels_last convolutions: this is",
            "# the run's channels_last twin (same weights), fed transposed inputs.",
        ]
        if twin_axes
        else []
    )
    return "\n".join(
        [
            f"# Run {int(run['id'])} ({title}): exported from Layerstack.",
            "# Trains the same model on the same data with the same seed and the same batches,",
            "# so the history matches the run's. Needs the dataset file next to it.",
            "import json",
            "",
            "import numpy as np",
            "import tensorflow as tf",
            "from tensorflow.keras.models import Sequential",
            "from tensorflow.keras.layers import " + ", ".join(classes),
            "",
            f"SEED, EPOCHS, BATCH_SIZE, SHUFFLE = {int(fit['seed'])}, {int(fit['epochs'])}, "
            f"{int(fit['batch_size'])}, {bool(fit['shuffle'])}",
            PIPELINE,
            "",
            *_changes_note(prep, run["stack"].get("compile", {}).get("loss")),
            *_prepare_lines(prep, twin_axes),
            "",
            "",
            "tf.keras.utils.set_random_seed(SEED)  # first: the weights are drawn when built",
            *twin_note,
            "model = Sequential([",
            *(f"    {call}," for call in calls),
            "])",
            "model.summary()",
            *compile_,
            "",
            f"data = np.load({dataset_file!r})",
            "x_train, y_train = prepare_x(data['x_train']), prepare_y(data['y_train'])",
            "x_test, y_test = (prepare_x(data['x_test']), prepare_y(data['y_test'])) "
            "if 'x_test' in data else (None, None)",
            validation,
            "batches = EpochBatches(x_train, y_train)",
            "validation = (x_val, y_val) if x_val is not None else None",
            "history = model.fit(batches.dataset, epochs=EPOCHS, validation_data=validation,",
            f"                    validation_batch_size=BATCH_SIZE, callbacks=[{_callbacks(fit)}],",
            "                    verbose=2)",
            "if x_test is not None:",
            "    print(model.evaluate(x_test, y_test, batch_size=BATCH_SIZE, return_dict=True))",
            "with open('history.json', 'w') as f:",
            "    json.dump(history.history, f)",
            "",
            "try:  # the tutorial's history plot, where pandas and matplotlib are installed",
            "    import matplotlib.pyplot as plt",
            "    import pandas as pd",
            "except ImportError:",
            "    pass",
            "else:",
            "    df = pd.DataFrame(history.history)",
            "    plt.plot(df['loss'])",
            "    plt.xlabel('epoch')",
            "    plt.ylabel('loss')",
            "    plt.show()",
            "",
        ]
    )
