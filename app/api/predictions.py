"""POST /api/runs/{id}/predict: the tutorial's model.predict + labels[np.argmax(pred)]."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile

from app.advice import output_activation
from app.datasets.base import DatasetError
from app.deps import SessionDep, SettingsDep
from app.jobs.inference import PredictorUnavailable
from app.models import Run
from app.predictions.inputs import NoImageInput, check_invert, image_geometry, to_model_input
from app.predictions.labels import probabilities, ranked
from app.stack import check_stack

router = APIRouter(tags=["predictions"])


def _checked_run(session: SessionDep, run_id: int, settings: SettingsDep) -> Run:
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
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile | None, File(description="One image")] = None,
    files: Annotated[list[UploadFile] | None, File(description="Several images")] = None,
    k: Annotated[int, Query(ge=1, le=100, description="How many labels to rank")] = 5,
    invert: Annotated[str, Query(description="auto, true or false")] = "auto",
) -> dict[str, Any]:
    """Top-k labels with probabilities for each image, and how each image was prepared."""
    run = _checked_run(session, run_id, settings)
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
    path = str(settings.data_dir / "runs" / str(run_id) / "model.keras")
    try:
        raw = await predictor.predict(run_id, path, batch)
    except PredictorUnavailable as error:
        status = 503 if error.died else 500
        raise HTTPException(status, f"Prediction failed: {error}. Try again.") from None
    stack = check_stack(run.stack, max_layers=10_000)
    probs = probabilities(raw, run.preprocessing["labels"], output_activation(stack)[1])
    names = run.preprocessing["class_names"]
    return {"run_id": run_id, "predictions": [
        {"file": upload.filename, **ranked(p, names, k, settings.low_confidence),
         "preprocessing": report}
        for upload, p, (_, report) in zip(uploads, probs, prepared, strict=True)
    ]}  # fmt: skip


async def _prepare(upload: UploadFile, run: Run, invert: str) -> tuple[np.ndarray, dict]:
    data = await upload.read()
    name = upload.filename or "image"
    if not data:
        raise DatasetError(f"{name!r} is empty (0 bytes).", field="file")
    # Decoding a large photo takes tens of milliseconds: off the event loop.
    return await asyncio.to_thread(to_model_input, data, name, run.preprocessing, invert,
                                   _twin(run))  # fmt: skip


def _twin(run: Run) -> tuple[int, ...] | None:
    axes = run.preprocessing.get("twin_axes")
    return tuple(axes) if axes else None
