"""POST /api/runs/{id}/predict: the tutorial's model.predict + labels[np.argmax(pred)]."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Query, UploadFile

from app.api.params import Id
from app.api.responses import BODY, described
from app.deps import CurrentUser, PredictionsDep
from app.predictions.inputs import check_invert
from app.predictions.service import Image

router = APIRouter(tags=["predictions"])


@router.post(
    "/runs/{run_id}/predict",
    responses=BODY
    | described(
        {
            404: "No run with this id",
            409: "The run has no model that takes images and gives classes",
            413: "Over MAX_IMAGE_BYTES",
            415: "Not an image Layerstack decodes",
            503: "The inference process is off or restarting",
        }
    ),
)
async def create_prediction(
    run_id: Id,
    predictions: PredictionsDep,
    user: CurrentUser,
    file: Annotated[UploadFile | None, File(description="One image")] = None,
    files: Annotated[list[UploadFile] | None, File(description="Several images")] = None,
    k: Annotated[int, Query(ge=1, le=100, description="How many labels to rank")] = 5,
    invert: Annotated[str, Query(description="auto, true or false")] = "auto",
) -> dict[str, Any]:
    """Top-k labels with probabilities for each image, and how each image was prepared."""
    predictions.ready(user, run_id)  # 404/409 before reading any upload
    uploads = ([file] if file else []) + (files or [])
    if not uploads:
        raise HTTPException(
            422,
            "Send an image in the multipart field `file` (or several in "
            "`files`): PNG, JPEG, BMP, GIF or WebP.",
        )
    check_invert(invert)
    images = [Image(upload.filename, await upload.read()) for upload in uploads]
    answers = await predictions.predict(user, run_id, images, k=k, invert=invert)
    return {"run_id": run_id, "predictions": answers}
