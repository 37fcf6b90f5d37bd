"""POST /api/runs/{id}/predict: the tutorial's model.predict + labels[np.argmax(pred)]; and
looking inside the model: activations, saliency, first-layer filters, confusion-cell examples."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Query, UploadFile

from app.api.params import Id
from app.api.responses import BODY, described
from app.deps import CurrentUser, PredictionsDep
from app.models import User
from app.predictions import inside
from app.predictions.inputs import check_invert
from app.predictions.service import Image, Predictions

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


# Looking inside the model (app/predictions/inside.py): the same image contract as predict.
INSIDE_ERRORS = described(
    {
        404: "No run with this id",
        409: "The run has no model that takes images and gives classes (or, for `sample`, "
        "no test split left)",
        413: "Over MAX_IMAGE_BYTES or MAX_IMAGE_PIXELS",
        415: "Not an image Layerstack decodes",
        500: "The inference process failed on this model",
        503: "The inference process is off or restarting, or the decode queue is full",
    }
)
RUN_ERRORS = described(
    {
        404: "No run with this id",
        409: "The run has no model that takes images and gives classes (or, for examples, "
        "no test split left)",
        500: "The inference process failed on this model",
        503: "The inference process is off or restarting",
    }
)
NO_IMAGE = (
    "Send an image in the multipart field `file`: PNG, JPEG, BMP, GIF or WebP (the image "
    "a prediction takes), or a test-set sample's index as `?sample=`."
)
BOTH = "Send an image (`file`) or a test-set index (`sample`), not both."
OneImage = Annotated[UploadFile | None, File(description="One image")]
Invert = Annotated[str, Query(description="auto, true or false")]
Sample = Annotated[
    int | None,
    Query(ge=0, le=10_000_000, description="A sample of the run's test split, instead of an image"),
]


async def _one_input(predictions: Predictions, user: User, run_id: int, file: UploadFile | None,
                     sample: int | None, invert: str) -> Image | int:  # fmt: skip
    predictions.ready(user, run_id)  # 404/409 before reading any upload
    if file is None and sample is None:
        raise HTTPException(422, NO_IMAGE)
    if file is not None and sample is not None:
        raise HTTPException(422, BOTH)
    check_invert(invert)
    if file is None:
        return int(sample)  # type: ignore[arg-type]  # not None: checked above
    return Image(file.filename, await file.read())


@router.post("/runs/{run_id}/activations", responses=BODY | INSIDE_ERRORS)
async def create_activations(
    run_id: Id,
    predictions: PredictionsDep,
    user: CurrentUser,
    file: OneImage = None,
    sample: Sample = None,
    invert: Invert = "auto",
) -> dict[str, Any]:
    """Every layer's output for the image (or test sample): Conv/Pool feature maps as one PNG
    grid per layer (scaled together to 0-255), 1-D outputs as numbers; name, class and
    output shape each."""
    given = await _one_input(predictions, user, run_id, file, sample, invert)
    return await inside.activations(predictions, user, run_id, given, invert)


@router.post("/runs/{run_id}/saliency", responses=BODY | INSIDE_ERRORS)
async def create_saliency(
    run_id: Id,
    predictions: PredictionsDep,
    user: CurrentUser,
    file: OneImage = None,
    sample: Sample = None,
    invert: Invert = "auto",
    class_index: Annotated[
        int | None,
        Query(ge=0, le=100_000, description="The class to explain (default: the predicted one)"),
    ] = None,
) -> dict[str, Any]:
    """Why this label: Grad-CAM on the last 2-D convolution, input gradients without one; a
    map of values 0..1 at the image's height and width, with the model's input to overlay."""
    given = await _one_input(predictions, user, run_id, file, sample, invert)
    return await inside.saliency(predictions, user, run_id, given, invert, class_index)


@router.get("/runs/{run_id}/filters", responses=RUN_ERRORS)
async def read_filters(
    run_id: Id, predictions: PredictionsDep, user: CurrentUser
) -> dict[str, Any]:
    """The first Conv2D/Conv1D layer's kernels as small images (0-255 arrays, scaled together);
    `layer` is null when the stack has no convolution."""
    return await inside.filters(predictions, user, run_id)


@router.get(
    "/runs/{run_id}/examples",
    responses=RUN_ERRORS | described({422: "A class index out of the run's range"}),
)
async def read_examples(
    run_id: Id,
    predictions: PredictionsDep,
    user: CurrentUser,
    true: Annotated[int | None, Query(ge=0, le=100_000, description="The true class index")] = None,
    predicted: Annotated[
        int | None, Query(ge=0, le=100_000, description="The predicted class index")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 24,
) -> dict[str, Any]:
    """The run's test samples with that true and predicted class (either alone: any of the
    other; neither: every mistake), the most confident first, with their probabilities."""
    return await inside.examples(predictions, user, run_id, true, predicted, offset, limit)
