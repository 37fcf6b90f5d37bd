"""After training: did the run learn? A run whose accuracy stays near chance, or whose loss
does not fall, says so, and names the likely causes from its own settings (the stack's
warnings about its output and loss, the learning rate, the epochs, unscaled inputs), so that
the run and prediction pages blame the model, not the image. A completed run is judged on all
its epochs; one that ended early (cancelled, failed, interrupted) once it has enough of them."""

from __future__ import annotations

import math
from typing import Any

from app.catalog import OPTIMIZERS, Invalid
from app.models import FINISHED, Run, RunStatus
from app.stacks.loss_advice import LOSS_WARNINGS
from app.stacks.outputs import loss_name
from app.stacks.stack import check_stack
from app.stacks.summary import summarize

# How close to chance counts as "near": within this share of the way from chance to 100%.
NEAR_CHANCE = 0.1
LOSS_FALL = 0.99  # the last epoch's loss must be under this share of the first's
# A cross-entropy still this close to what guessing every class alike scores (ln classes)
# has not learned to tell the classes apart, however much it fell in epoch 1 (the logits
# trap on MNIST: 2.62, then 2.28 for every later epoch, against ln 10 = 2.30).
NEAR_GUESSING = 0.9
FEW_EPOCHS = 3
# A run that ended before its last epoch is judged once it has this many: by then a stack
# that learns has left chance and its loss has fallen (the digits MLP is past 80% after one
# epoch, the tutorial CNN on MNIST past 95%), while after one or two epochs a slow start (a
# small learning rate, SGD without momentum) still looks like the logits trap. It is also
# what the diagnosis itself calls few epochs, so it never tells a stopped run to train more
# than it already had.
JUDGE_UNFINISHED = 3
LR_FACTOR = 10.0  # a learning rate this many times off the optimizer's default stands out


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _accuracy(run: Run, history: list[dict[str, Any]]) -> tuple[float, str, float] | None:
    """(accuracy, where it comes from, chance): the test confusion matrix if there is one,
    else the last epoch's (validation) accuracy. Chance: the commonest class's share."""
    classes = len(run.preprocessing["class_names"])
    chance = 1 / classes
    if run.confusion:
        total = sum(map(sum, run.confusion))
        if total:
            right = sum(row[i] for i, row in enumerate(run.confusion))
            chance = max(chance, max(map(sum, run.confusion)) / total)
            return right / total, "test accuracy", chance
    last = history[-1] if history else {}
    for key in ("val_accuracy", "accuracy"):
        if isinstance(last.get(key), int | float):
            where = "validation accuracy" if key.startswith("val_") else "training accuracy"
            return float(last[key]), where, chance
    return None


def _findings(run: Run, history: list[dict[str, Any]]) -> list[str]:
    out = []
    if run.preprocessing.get("labels") != "value":
        found = _accuracy(run, history)
        if found and found[0] <= found[2] + NEAR_CHANCE * (1 - found[2]):
            acc, where, chance = found
            classes = len(run.preprocessing["class_names"])
            out.append(
                f"Its {where} is {_pct(acc)}, near chance ({_pct(chance)}, what always "
                f"guessing the commonest of its {classes} classes scores)."
            )
    logged = [row.get("loss") for row in history]
    losses = [float(x) for x in logged if isinstance(x, int | float) and math.isfinite(x)]
    guessing = _guessing_loss(run)
    if len(losses) < len(logged):
        out.append("Its loss became NaN or infinite: the weights blew up.")
    elif len(losses) >= 2 and losses[-1] >= LOSS_FALL * losses[0]:
        out.append(
            f"Its loss did not fall: {losses[0]:.4g} after epoch 1, {losses[-1]:.4g} after "
            f"epoch {len(losses)}."
        )
    elif losses and guessing and losses[-1] >= NEAR_GUESSING * guessing:
        out.append(
            f"Its loss, {losses[-1]:.4g} after epoch {len(losses)}, is about what guessing "
            f"every class alike scores ({guessing:.3g}): it has not learned to tell the "
            f"classes apart."
        )
    return out


def _guessing_loss(run: Run) -> float | None:
    """The cross-entropy of a uniform guess, ln(classes), for a run with a cross-entropy
    loss; None for any other loss."""
    name = loss_name(run.stack.get("compile", {}).get("loss")) or ""
    labels = run.preprocessing.get("labels")
    if "Crossentropy" not in name or labels not in ("sparse", "one_hot", "binary"):
        return None
    return math.log(2 if labels == "binary" else len(run.preprocessing["class_names"]))


def _stack_causes(run: Run) -> list[dict[str, str]]:
    try:
        stack = check_stack(run.stack, max_layers=10_000)
        summary = summarize(stack)
    except Invalid:
        return []  # a snapshot from an older catalog: no advice rather than none at all
    return [
        {"kind": w["type"], "text": w["msg"]}
        for advise in LOSS_WARNINGS
        for w in advise(stack, summary)
    ]


def _learning_rate(run: Run, blew_up: bool) -> list[dict[str, str]]:
    optimizer = run.stack.get("compile", {}).get("optimizer") or "rmsprop"
    spec = OPTIMIZERS.find(optimizer if isinstance(optimizer, str) else optimizer["name"])
    arg = spec.arg("learning_rate") if spec else None
    if spec is None or arg is None or not isinstance(arg.default, float):
        return []
    default = arg.default
    rate = optimizer.get("learning_rate", default) if isinstance(optimizer, dict) else default
    if not isinstance(rate, int | float):
        return []
    if rate >= LR_FACTOR * default or (blew_up and rate > default):
        why = "steps that large jump past the minimum or blow the loss up"
    elif rate <= default / LR_FACTOR**2:
        why = "steps that small barely move the weights in a few epochs"
    else:
        return []
    return [
        {
            "kind": "learning_rate",
            "text": f"The learning rate is {rate:g}, against {spec.name}'s default of "
            f"{default:g}: {why}. Try {default:g}.",
        }
    ]


def _ended_early(run: Run) -> list[dict[str, str]]:
    done, asked = run.epochs_done, int(run.fit.get("epochs", 0))
    if run.status == RunStatus.FAILED:
        ended, then = "stopped by a failure", "its error says why"
    else:
        ended, then = str(run.status), "Resume continues from there"
    return [
        {
            "kind": "ended_early",
            "text": f"It was {ended} after {done} of {asked} epochs: most stacks that learn "
            f"leave chance within {JUDGE_UNFINISHED}, but some start later ({then}).",
        }
    ]


def _epochs(run: Run) -> list[dict[str, str]]:
    if run.status != RunStatus.COMPLETED:
        return _ended_early(run)
    done, asked = run.epochs_done, int(run.fit.get("epochs", 0))
    if done < asked and run.fit.get("early_stopping"):
        patience = run.fit["early_stopping"].get("patience", 0)
        return [
            {
                "kind": "early_stopping",
                "text": f"Early stopping ended it after {done} of {asked} epochs (patience "
                f"{patience}): a patience that short can stop a run before it starts to learn.",
            }
        ]
    if done <= FEW_EPOCHS:
        return [
            {
                "kind": "few_epochs",
                "text": f"It trained for only {done} epoch{'s' if done != 1 else ''}: train "
                f"for more (the tutorial uses 10 and more).",
            }
        ]
    return []


def _scaling(run: Run) -> list[dict[str, str]]:
    low, high = run.preprocessing.get("value_range", [0.0, 1.0])
    if run.fit.get("normalize", True) or high - low <= 1:
        return []
    return [
        {
            "kind": "unscaled_inputs",
            "text": f"Its inputs were not scaled (fit.normalize off) and range over "
            f"{low:g}..{high:g}: inputs that large saturate activations and slow learning. "
            f"Turn normalize on.",
        }
    ]


def _judged(run: Run, history: list[dict[str, Any]]) -> bool:
    if run.status == RunStatus.COMPLETED:
        return bool(history)
    return run.status in FINISHED and len(history) >= JUDGE_UNFINISHED


def diagnose(run: Run, history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What a run that learned little should say; None when it learned, while it is queued
    or running, and when it ended early with too few epochs to judge (JUDGE_UNFINISHED)."""
    if not _judged(run, history):
        return None
    findings = _findings(run, history)
    if not findings:
        return None
    blew_up = any("NaN" in f for f in findings)
    causes = [*_stack_causes(run), *_learning_rate(run, blew_up), *_epochs(run), *_scaling(run)]
    if not causes:
        causes = [
            {
                "kind": "unknown",
                "text": "No setting stands out: try more epochs, another learning rate or a "
                "larger model, and check that the dataset's labels match its samples.",
            }
        ]
    so_far = "" if run.status == RunStatus.COMPLETED else f" in its {len(history)} epochs"
    return {
        "learned": False,
        "findings": findings,
        "text": f"This run learned little{so_far}, so its predictions say little about any "
        "input. " + " ".join(findings),
        "causes": causes,
    }
