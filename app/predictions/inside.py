"""Looking inside a run's model, the web process's side: the same checks, image contract and
budgets as a prediction (app/predictions/service.py), then one request to the inference
process, which does all the work (app/ml/inside.py, saliency.py, examples.py). Answers for
an image are kept per run and image hash (app/predictions/answers.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi.exceptions import RequestValidationError
from sqlmodel import Session

from app.datasets.base import load_split
from app.errors import Conflict, Failed, Unavailable
from app.models import Run, User
from app.predictions.predictor import PredictorUnavailable
from app.predictions.requests import Caps, Question
from app.predictions.service import Image, Predictions, Ready


async def _ask(predictions: Predictions, kind: str, run_id: int, path: str, args: dict) -> Any:
    if predictions.predictor is None:
        raise Unavailable("Looking inside a model needs the inference process (PREDICTORS=0).")
    try:
        return await predictions.predictor.call(kind, run_id, (path, args))
    except PredictorUnavailable as error:
        failure = Unavailable if error.died else Failed
        raise failure(f"The inference process could not answer: {error}. Try again.") from None


async def _with_input(
    predictions: Predictions,
    user: User,
    run_id: int,
    given: Image | int,
    invert: str,
    kind: str,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The answer for an image, checked and prepared as for a prediction, or for a sample
    of the run's test split (by index: prepared in the inference process); kept per run
    and image hash (or sample index)."""
    run = predictions.ready(user, run_id)
    if isinstance(given, Image):
        await predictions.check_budget([given])
        seen = hashlib.sha256(given.data).hexdigest()
    else:
        question = _question(predictions, run, run_id)
        count = count_test_samples(question.folder)
        if given >= count:
            raise _invalid("sample", given, f"a test-set index from 0 to {count - 1}")
        seen = f"test sample {given}"
    # The run's settings never change; what varies per request is hashable (caps, an index).
    varying = tuple(v for v in extra.values() if not isinstance(v, dict))
    key = (kind, run_id, seen, invert, varying)
    kept = predictions.answers.get(key)
    if kept is not None:
        return kept
    if isinstance(given, Image):
        x, report = await predictions.prepare(given, run, invert)
        args = {"x": x[None], **extra}
    else:
        args = {"sample": (question, given), **extra}
    answer = {"run_id": run_id, **await _ask(predictions, kind, run_id, run.model_path, args)}
    if isinstance(given, Image):
        answer["preprocessing"] = report
    predictions.answers.put(key, answer)
    return answer


async def activations(
    predictions: Predictions, user: User, run_id: int, given: Image | int, invert: str
) -> dict[str, Any]:
    """Every layer's output for the image or test sample (the first INSIDE_MAX_LAYERS)."""
    settings = predictions.settings
    caps = Caps(settings.inside_max_layers, settings.inside_max_maps, settings.inside_max_values)
    return await _with_input(predictions, user, run_id, given, invert, "activations",
                             {"caps": caps})  # fmt: skip


async def saliency(
    predictions: Predictions,
    user: User,
    run_id: int,
    given: Image | int,
    invert: str,
    class_index: int | None,
) -> dict[str, Any]:
    """A saliency map for the predicted class (or `class_index`), at the image's size."""
    run = predictions.ready(user, run_id)
    classes = len(run.preprocessing["class_names"])
    if class_index is not None and class_index >= classes:
        raise _out_of_range("class_index", class_index, classes)
    twin = run.preprocessing.get("twin_axes")
    extra = {
        "preprocessing": run.preprocessing,
        "twin": tuple(twin) if twin else None,
        "class_index": class_index,
    }
    answer = await _with_input(predictions, user, run_id, given, invert, "saliency", extra)
    names = run.preprocessing["class_names"]
    return {**answer, "label": names[answer["class_index"]]}


async def filters(predictions: Predictions, user: User, run_id: int) -> dict[str, Any]:
    """The first convolution layer's kernels as small images (none without one)."""
    run = predictions.ready(user, run_id)
    key = ("filters", run_id)
    kept = predictions.answers.get(key)
    if kept is None:
        args = {"most": predictions.settings.inside_max_maps}
        kept = {"run_id": run_id, **await _ask(predictions, "filters", run_id, run.model_path,
                                               args)}  # fmt: skip
        predictions.answers.put(key, kept)
    return kept


def _invalid(name: str, value: int, expected: str) -> RequestValidationError:
    message = f"Expected {expected}. Received: {name}={value}."
    problem = {"loc": ("query", name), "msg": message, "type": "value_error", "input": value}
    return RequestValidationError([problem])


def _out_of_range(name: str, value: int, classes: int) -> RequestValidationError:
    return _invalid(name, value, f"a class index from 0 to {classes - 1} (the run has "
                    f"{classes} classes)")  # fmt: skip


def count_test_samples(folder: str) -> int:
    """Samples in a stored test split, from its .npy header (nothing is read)."""
    split = load_split(Path(folder), "test")
    return 0 if split is None else len(split[1])


def _question(predictions: Predictions, run: Ready, run_id: int) -> Question:
    with Session(predictions.engine) as session:
        row = session.get(Run, run_id)
        assert row is not None  # ready() found it, and completed runs are only ever deleted
        dataset_id, fit, loss = row.dataset_id, row.fit, row.stack.get("compile", {}).get("loss")
        has_matrix = row.confusion is not None
    folder = predictions.settings.paths.dataset(dataset_id) if dataset_id is not None else None
    if not has_matrix:
        raise Conflict(f"Run {run_id} has no test split, so no confusion matrix to look into.")
    if folder is None or load_split(folder, "test") is None:
        raise Conflict(
            f"Run {run_id}'s dataset ({dataset_id}) was deleted, so its test images are gone; "
            f"the confusion matrix stays, its examples cannot be shown."
        )
    from_logits = isinstance(loss, dict) and bool(loss.get("from_logits"))
    return Question(str(folder), run.preprocessing, fit["batch_size"], run.activation, from_logits)


async def examples(
    predictions: Predictions,
    user: User,
    run_id: int,
    true: int | None,
    predicted: int | None,
    offset: int,
    limit: int,
) -> dict[str, Any]:
    """The test samples of one confusion cell, the most confident first."""
    run = predictions.ready(user, run_id)
    classes = len(run.preprocessing["class_names"])
    for name, value in (("true", true), ("predicted", predicted)):
        if value is not None and value >= classes:
            raise _out_of_range(name, value, classes)
    question = _question(predictions, run, run_id)
    args = {"question": question, "cell": (true, predicted, offset, limit)}
    answer = await _ask(predictions, "examples", run_id, run.model_path, args)
    return {"run_id": run_id, "true": true, "predicted": predicted, "offset": offset,
            "limit": limit, **answer}  # fmt: skip
