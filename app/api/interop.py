"""Keras interop: export an architecture as runnable Python; import pasted tutorial code or
the JSON of model.to_json(). Nothing is executed: code is read with `ast`, JSON walked."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from app.catalog import Invalid, Problem
from app.deps import SessionDep, SettingsDep
from app.interop.keras_file import read_keras_config
from app.interop.keras_json import KerasJsonError, import_keras_json
from app.interop.python_export import export_python
from app.interop.python_import import ImportProblem, import_python
from app.jobs.inference import PredictorUnavailable
from app.models import Architecture
from app.summary import check_and_summarize

router = APIRouter(tags=["interop"])


class ImportIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "format": "python", "save": False,
            "source": "model = Sequential([\n    Flatten(input_shape=(28, 28)),\n"
                      "    Dense(64, activation='relu'),\n    Dense(10, activation='softmax')\n])",
        }]},
    )  # fmt: skip
    format: Literal["python", "keras-json"] = "python"
    source: str = Field(max_length=1_000_000, description="Pasted code, or model.to_json()")
    save: bool = False


@router.get("/architectures/{architecture_id}/export", response_class=PlainTextResponse)
async def export_architecture(
    architecture_id: int,
    request: Request,
    session: SessionDep,
    format: Literal["python", "keras-json"] = Query("python", description="python, keras-json"),
) -> PlainTextResponse:
    """A readable Keras script in the tutorial's style, or model.to_json() of the model."""
    saved = session.get(Architecture, architecture_id)
    if saved is None:
        raise HTTPException(404, f"No architecture with id {architecture_id}.")
    stack = saved.model_dump(include={"input_shape", "layers", "compile"})
    if format == "python":
        return PlainTextResponse(export_python(stack, name=saved.name), media_type="text/x-python")
    predictor = request.app.state.predictor
    if predictor is None:
        raise HTTPException(503, "Keras JSON is made by the inference process (PREDICTORS=0).")
    try:
        text = await predictor.call("to_json", architecture_id, stack)
    except PredictorUnavailable as error:
        raise HTTPException(503 if error.died else 500, f"Export failed: {error}") from None
    return PlainTextResponse(text, media_type="application/json")


@router.post("/architectures/import-file")
async def import_keras_file(
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="A .keras file (its architecture is read)")],
    save: Annotated[bool, Form()] = False,
) -> dict:
    """Read a .keras file's architecture (config.json), checked against the catalog.

    Weights are not imported: they would need TensorFlow in the web process."""
    data = await file.read()
    try:
        config = read_keras_config(data, file.filename or "model.keras")
    except KerasJsonError as error:
        raise Invalid([Problem(("file",), str(error), "import_keras_file")]) from None
    body = ImportIn(format="keras-json", source=config, save=save)
    return import_architecture(body, session, settings)


def _imported(body: ImportIn) -> dict[str, Any]:
    try:
        if body.format == "python":
            return import_python(body.source)
        return {"architecture": import_keras_json(body.source), "ignored": [], "fit": {}}
    except ImportProblem as problem:
        where = f"line {problem.line}, column {problem.column}: " if problem.line else ""
        raise Invalid(
            [
                Problem(
                    ("source",),
                    f"{where}{problem.message}",
                    "import_python",
                    {"line": problem.line, "column": problem.column},
                )
            ]
        ) from None
    except KerasJsonError as error:
        raise Invalid([Problem(("source",), str(error), "import_keras_json")]) from None


@router.post("/architectures/import")
def import_architecture(body: ImportIn, session: SessionDep, settings: SettingsDep) -> dict:
    """Read pasted Keras code or Keras JSON into a stack (a preview, or saved with save)."""
    result = _imported(body)
    architecture = result["architecture"]
    try:
        checked, summary = check_and_summarize(architecture, settings.max_layers,
                                               settings.max_params)  # fmt: skip
    except Invalid as invalid:
        problems = [Problem(("architecture", *p.loc), p.msg, p.type, p.input, p.fix)
                    for p in invalid.problems]  # fmt: skip
        raise Invalid(problems) from None
    answer: dict[str, Any] = {
        "architecture": {"name": architecture.get("name", "Imported"), **checked.as_json()},
        "summary": summary.as_json(),
        "fit": result.get("fit", {}),
        "ignored": result.get("ignored", []),
        "id": None,
    }
    if body.save:
        saved = Architecture(**answer["architecture"])
        session.add(saved)
        session.commit()
        answer["id"] = saved.id
    return answer
