"""Warnings: stacks that Keras builds but that are almost always a mistake.

Each names the layer and the fix, and carries a one-click action where there is one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.catalog.shapes import insert_fix

if TYPE_CHECKING:
    from app.stacks.stack import CheckedStack
    from app.stacks.summary import Summary

_SQUASHING = ("softmax", "sigmoid")


def _warning(index: int | None, kind: str, msg: str, fix: dict[str, Any] | None = None) -> dict:
    loc: list[str | int] = ["layers", index] if index is not None else ["compile", "loss"]
    out: dict[str, Any] = {"loc": loc, "index": index, "type": kind, "msg": msg}
    if fix is not None:
        out["fix"] = fix
    return out


def _dense_on_grid(stack: CheckedStack, summary: Summary) -> list[dict]:
    """Dense on (batch, h, w, ...) acts on the last axis only: usually a missing Flatten.

    Only the first Dense of a chain is flagged; the ones after it just follow.
    """
    shape = summary.input_shape
    for index, (layer, row) in enumerate(zip(stack.layers, summary.layers, strict=True)):
        if layer.type.name == "Dense" and shape is not None and len(shape) > 1:
            grid = "(None, " + ", ".join(str(d) for d in shape) + ")"
            return [
                _warning(
                    index,
                    "dense_multi_dim_input",
                    f"{layer.label(index)} gets a multi-dimensional input {grid}: Dense acts "
                    f"on the last axis only, so the output stays {len(shape) + 1}D. A "
                    f"classifier almost always needs Flatten before it.",
                    {**insert_fix("Flatten"), "index": index},
                )
            ]
        shape = row.output_shape[1:] if row.output_shape else None
    return []


def output_activation(stack: CheckedStack) -> tuple[int, str | None]:
    """The activation the model ends with (Dense/Activation/... as the last layer that has one)."""
    for index in range(len(stack.layers) - 1, -1, -1):
        layer = stack.layers[index]
        if layer.type.arg("activation") is not None:
            return index, layer.full_args().get("activation")
        if layer.type.name not in ("Dropout", "Flatten", "Reshape"):
            break
    return len(stack.layers) - 1, None


def _loss_option(loss: Any, key: str) -> Any:
    return loss.get(key) if isinstance(loss, dict) else None


def _logits_mismatch(stack: CheckedStack, summary: Summary) -> list[dict]:
    loss = stack.compile.get("loss")
    index, act = output_activation(stack)
    if act not in _SQUASHING or not _loss_option(loss, "from_logits"):
        return []
    assert isinstance(loss, dict)
    layer = stack.layers[index]
    return [
        _warning(
            index,
            "activation_with_logits",
            f"{layer.label(index)} ends with {act}, but the loss {loss['name']} has "
            f"from_logits=true, so {act} is applied twice and training is slow and unstable. "
            f"Set from_logits to false (or remove the {act} activation).",
            {
                "action": "set_compile",
                "compile": {"loss": {**loss, "from_logits": False}},
                "label": "Set from_logits to false",
            },
        )
    ]


def _softmax_single_unit(stack: CheckedStack, summary: Summary) -> list[dict]:
    index, act = output_activation(stack)
    out = summary.layers[index].output_shape
    if act != "softmax" or not out or out[-1] != 1:
        return []
    return [
        _warning(
            index,
            "softmax_single_unit",
            f"{stack.layers[index].label(index)} applies softmax to a single unit, which always "
            f"outputs 1.0. For two classes use sigmoid with BinaryCrossentropy, or 2 units.",
            {
                "action": "set_args",
                "index": index,
                "args": {"activation": "sigmoid"},
                "label": "Use sigmoid",
            },
        )
    ]


def _unbuilt(stack: CheckedStack, summary: Summary) -> list[dict]:
    if summary.built:
        return []
    return [
        _warning(
            0,
            "no_input_shape",
            "No input shape: the model is not built yet, so shapes and parameter counts are "
            "unknown. Set input_shape (e.g. [28, 28, 1] for MNIST images, or [784] for flat "
            "vectors); training takes it from the dataset.",
        )
    ]


def find_warnings(stack: CheckedStack, summary: Summary) -> list[dict]:
    return [
        *_unbuilt(stack, summary),
        *_dense_on_grid(stack, summary),
        *_logits_mismatch(stack, summary),
        *_softmax_single_unit(stack, summary),
    ]
