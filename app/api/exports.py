"""A completed run for deployment (SavedModel, TFLite, ONNX, .keras, each verified against
the Keras model) and as one zip that reproduces it (script, data, README)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse, StreamingResponse

from app.api.downloads import temporary_download
from app.api.params import Id
from app.api.responses import described, file
from app.deps import CurrentUser, ImportSlotsDep, PathsDep, SessionDep, SettingsDep
from app.runs import exports

router = APIRouter(prefix="/runs", tags=["runs"])
NOT_FOUND = described({404: "No run with this id"})
BUSY = "MAX_IMPORTS imports or exports are running already, or the export took longer than "
Format = Literal["keras", "savedmodel", "tflite", "tflite-int8", "onnx"]


@router.get("/{run_id}/exports", responses=NOT_FOUND)
def list_exports(
    run_id: Id, session: SessionDep, paths: PathsDep, user: CurrentUser
) -> dict[str, Any]:
    """Each deployment format: what it is, how to load it (two lines), what the model takes,
    and, once built, its size and how closely it agrees with the Keras model."""
    return exports.list_exports(session, paths, user, run_id)


@router.get(
    "/{run_id}/export",
    response_class=Response,
    responses=NOT_FOUND
    | described(
        {
            409: "The run has not completed, or its model cannot be converted to this format",
            413: "The run's owner is over their storage quota: no new export is built",
            422: "format is not one of keras, savedmodel, tflite, tflite-int8, onnx",
            500: "The converted model disagreed with the Keras model, so it was not kept",
            503: BUSY + "EXPORT_TIMEOUT_S: try again after Retry-After",
            507: "The server's disk is full: the export was not kept",
        }
    )
    | file("The model in that format", "application/octet-stream", "application/zip"),
)
def export_model(
    run_id: Id,
    session: SessionDep,
    paths: PathsDep,
    settings: SettingsDep,
    slots: ImportSlotsDep,
    user: CurrentUser,
    format: Annotated[
        Format, Query(description="keras (the default), savedmodel, tflite, tflite-int8, onnx")
    ] = "keras",
) -> FileResponse:
    """The model in a deployment format, converted once in a process of its own and checked
    on up to 1,000 of the run's samples; the X-Export-* headers say how closely it agrees."""
    path, made = exports.export_model(session, paths, settings, slots, user, run_id, format)
    spec = exports.FORMATS[format]
    headers = {
        "X-Export-Agreement": f"{made['agreement']:.6f}",
        "X-Export-Max-Difference": f"{made['max_difference']:.3g}",
        "X-Export-Compared": str(made["compared"]),
    }
    filename = f"run-{run_id}-{spec.file}"
    return FileResponse(path, media_type=spec.media_type, filename=filename, headers=headers)


@router.get(
    "/{run_id}/bundle.zip",
    response_class=StreamingResponse,
    responses=NOT_FOUND
    | described(
        {
            409: "The run's dataset was deleted: the bundle cannot hold its data",
            503: "MAX_IMPORTS imports or exports are running already: try after Retry-After",
            507: "The server's temporary folder (TMPDIR) is full: the zip was not built",
        }
    )
    | file("run.py, the dataset's .npz and a README", "application/zip"),
)
def export_bundle(
    run_id: Id, session: SessionDep, paths: PathsDep, user: CurrentUser, slots: ImportSlotsDep
) -> StreamingResponse:
    """The run in one download that reproduces it: `python run.py` in the unzipped folder
    trains the same model on the same data to the same history."""
    with slots.hold("bundle"):  # building it, not sending it
        bundle = exports.export_bundle(session, paths, user, run_id)
    return temporary_download(bundle, f"run-{run_id}-bundle.zip", "application/zip")
