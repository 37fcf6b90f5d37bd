"""Export -> import is the identity: every catalog layer, with its required arguments and
with each optional argument set, comes back as the same checked stack."""

import pytest

from app.catalog import LAYERS
from app.interop.python_export import export_python
from app.interop.python_import import import_python
from app.stacks.stack import check_stack
from tests.helpers.catalog_args import input_for, optional_args, other_value, required_args


def _round_trip(stack: dict) -> None:
    before = check_stack(stack, 200).as_json()
    imported = import_python(export_python(stack))["architecture"]
    assert check_stack(imported, 200).as_json() == before


@pytest.mark.parametrize("kind", LAYERS, ids=lambda k: k.name)
def test_every_layer_type(kind):
    _round_trip({"input_shape": input_for(kind),
                 "layers": [{"type": kind.name, "args": required_args(kind)}],
                 "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                             "metrics": ["accuracy"]}})  # fmt: skip


@pytest.mark.parametrize("kind,arg", optional_args(), ids=lambda x: getattr(x, "name", ""))
def test_every_argument(kind, arg):
    args = {**required_args(kind), arg.name: other_value(arg)}
    _round_trip({"input_shape": input_for(kind), "layers": [{"type": kind.name, "args": args}]})


def test_a_stack_using_every_layer_type_and_compile_objects():
    layers = [{"type": kind.name, "args": required_args(kind), "name": f"l{i}"}
              for i, kind in enumerate(LAYERS)]  # fmt: skip
    _round_trip({"input_shape": [8, 8, 4], "layers": layers, "compile": {
        "optimizer": {"name": "SGD", "learning_rate": 0.001, "momentum": 0.9},
        "loss": {"name": "BinaryCrossentropy", "from_logits": True},
        "metrics": ["accuracy", {"name": "MeanAbsoluteError"}, {"name": "AUC", "curve": "PR"}],
    }})  # fmt: skip
