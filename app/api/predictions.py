"""POST /api/runs/{id}/predict: the tutorial's model.predict + labels[np.argmax(pred)]."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile
from sqlmodel import Session

from app.advice import output_activation
from app.config import Settings
from app.datasets.base import DatasetError
from app.deps import SettingsDep
from app.jobs.inference import PredictorUnavailable
from app.models import Run
from app.predictions.inputs import NoImageInput, check_invert, image_geometry, to_model_input
from app.predictions.labels import probabilities, ranked
from app.stack import check_stack

router = APIRouter(tags=["predictions"])


@dataclass(frozen=True)
class Ready:
    """What predicting with a completed run needs; completed runs never change, so it is
    read once per run and kept (dropped when the run is deleted)."""

    preprocessing: dict[str, Any]
    activation: str | None
    model_path: str


READY_CACHE_SIZE = 256
SMALL_UPLOAD = 256 * 1024  # decoded inline; larger images are decoded off the event loop


def ready(request: Request, run_id: int, settings: Settings) -> Ready:
    cache: OrderedDict[int, Ready] = request.app.state.ready_runs
    if run_id in cache:
        cache.move_to_end(run_id)
        return cache[run_id]
    with Session(request.app.state.engine) as session:
        run = _checked_run(session, run_id, settings)
    stack = check_stack(run.stack, max_layers=10_000)
    path = str(settings.data_dir / "runs" / str(run_id) / "model.keras")
    cache[run_id] = Ready(run.preprocessing, output_activation(stack)[1], path)
    while len(cache) > READY_CACHE_SIZE:
        cache.popitem(last=False)
    return cache[run_id]


def _checked_run(session: Session, run_id: int, settings: Settings) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        raise HTTPException(404, f"No run with id {run_id}.")
    if run.status != "completed":
        raise HTTPException(409, f"Run {run_id} is {run.status}; only a completed run has a "
                                 f"trained model to predict with.")  # fmt: skip
    try:
        image_geometry(run.preprocessing)
    except NoImageInput as error:
        raise HTTPException(409, f"Run {run_id}: {error}") from None
    if run.preprocessing["labels"] == "value":
        raise HTTPException(409, f"Run {run_id} predicts a number (a regression loss with one "
                                 f"unit), not class probabilities.")  # fmt: skip
    if not (settings.data_dir / "runs" / str(run_id) / "model.keras").exists():
        raise HTTPException(409, f"Run {run_id} has no saved model file.")
    return run


@router.post("/runs/{run_id}/predict")
async def create_prediction(
    run_id: int,
    request: Request,
    settings: SettingsDep,
    file: Annotated[UploadFile | None, File(description="One image")] = None,
    files: Annotated[list[UploadFile] | None, File(description="Several images")] = None,
    k: Annotated[int, Query(ge=1, le=100, description="How many labels to rank")] = 5,
    invert: Annotated[str, Query(description="auto, true or false")] = "auto",
) -> dict[str, Any]:
    """Top-k labels with probabilities for each image, and how each image was prepared."""
    run = ready(request, run_id, settings)
    uploads = ([file] if file else []) + (files or [])
    if not uploads:
        raise HTTPException(422, "Send an image in the multipart field `file` (or several in "
                                 "`files`): PNG, JPEG, BMP, GIF or WebP.")  # fmt: skip
    check_invert(invert)
    prepared = [await _prepare(upload, run, invert) for upload in uploads]
    batch = np.stack([x for x, _ in prepared])
    predictor = request.app.state.predictor
    if predictor is None:
        raise HTTPException(503, "Predictions are off on this server (PREDICTORS=0).")
    try:
        raw = await predictor.predict(run_id, run.model_path, batch)
    except PredictorUnavailable as error:
        status = 503 if error.died else 500
        raise HTTPException(status, f"Prediction failed: {error}. Try again.") from None
    probs = probabilities(raw, run.preprocessing["labels"], run.activation)
    names = run.preprocessing["class_names"]
    return {"run_id": run_id, "predictions": [
        {"file": upload.filename, **ranked(p, names, k, settings.low_confidence),
         "preprocessing": report}
        for upload, p, (_, report) in zip(uploads, probs, prepared, strict=True)
    ]}  # fmt: skip


async def _prepare(upload: UploadFile, run: Ready, invert: str) -> tuple[np.ndarray, dict]:
    data = await upload.read()
    name = upload.filename or "image"
    if not data:
        raise DatasetError(f"{name!r} is empty (0 bytes).", field="file")
    axes = run.preprocessing.get("twin_axes")
    args = (data, name, run.preprocessing, invert, tuple(axes) if axes else None)
    if len(data) <= SMALL_UPLOAD:  # well under a millisecond: a thread hop would cost more
        return to_model_input(*args)
    return await asyncio.to_thread(to_model_input, *args)  # a large photo: tens of ms
