"""Keras interop: export an architecture as runnable Python; import pasted tutorial code or
the JSON of model.to_json(). Nothing is executed: code is read with `ast`, JSON walked."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from app.api.params import Id
from app.api.responses import BODY, described, file
from app.architectures import service
from app.catalog.problems import invalid
from app.deps import CurrentUser, PredictionsDep, SessionDep, SettingsDep
from app.interop.keras_file import read_keras_config
from app.interop.keras_json import KerasJsonError
from app.models import StackIn

router = APIRouter(tags=["interop"])
MEDIA_TYPES = {"python": "text/x-python", "keras-json": "application/json"}


class ImportIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "format": "python",
                    "save": False,
                    "source": "model = Sequential([\n    Flatten(input_shape=(28, 28)),\n"
                    "    Dense(64, activation='relu'),\n    Dense(10, activation='softmax')\n])",
                }
            ]
        },
    )
    format: Literal["python", "keras-json"] = "python"
    source: str = Field(max_length=1_000_000, description="Pasted code, or model.to_json()")
    save: bool = False


@router.get(
    "/architectures/{architecture_id}/export",
    response_class=Response,
    responses=file("The script, or the JSON", *MEDIA_TYPES.values())
    | described(
        {
            404: "No architecture with this id",
            503: "keras-json needs the inference process (PREDICTORS=0)",
        }
    ),
)
async def export_architecture(
    architecture_id: Id,
    session: SessionDep,
    user: CurrentUser,
    predictions: PredictionsDep,
    format: Literal["python", "keras-json"] = Query("python", description="python, keras-json"),
) -> PlainTextResponse:
    """A readable Keras script in the tutorial's style, or model.to_json() of the model."""
    text = await service.export_architecture(session, user, predictions, architecture_id, format)
    return PlainTextResponse(text, media_type=MEDIA_TYPES[format])


@router.post(
    "/architectures/export",
    response_class=Response,
    responses=file("The script", MEDIA_TYPES["python"]) | BODY,
)
def export_stack(stack: StackIn, settings: SettingsDep) -> PlainTextResponse:
    """The Python script of an unsaved stack, as the builder's Export Python downloads it."""
    text = service.export_stack(settings, stack)
    filename = "".join(c if c.isalnum() else "_" for c in stack.name).strip("_") or "model"
    disposition = f'attachment; filename="{filename[:60]}.py"'
    return PlainTextResponse(
        text, media_type=MEDIA_TYPES["python"], headers={"Content-Disposition": disposition}
    )


@router.post("/architectures/import-file", responses=BODY)
def import_keras_file(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="A .keras file (its architecture is read)")],
    save: Annotated[bool, Form()] = False,
) -> dict:
    """Read a .keras file's architecture (config.json), checked against the catalog.

    Weights are not imported: they would need TensorFlow in the web process. A plain `def`:
    unzipping and parsing run in the thread pool, never on the event loop."""
    data = file.file.read()
    try:
        config = read_keras_config(data, file.filename or "model.keras")
    except KerasJsonError as error:
        raise invalid(("file",), str(error), "import_keras_file") from None
    return service.import_architecture(
        session, settings, user, format="keras-json", source=config, save=save
    )


@router.post("/architectures/import", responses=BODY)
def import_architecture(
    body: ImportIn, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> dict:
    """Read pasted Keras code or Keras JSON into a stack (a preview, or saved with save)."""
    return service.import_architecture(
        session, settings, user, format=body.format, source=body.source, save=body.save
    )
