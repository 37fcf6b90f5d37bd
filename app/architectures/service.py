"""Saved architectures as the API and the pages use them: list, read, save, replace, delete,
summarize, and import from (or export to) Keras code and JSON. Nothing is saved unless the
stack passes the catalog's checks; nothing imported is ever executed or deserialized."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from sqlmodel import Session, col, func, select

from app.accounts.ownership import can_see, visible
from app.catalog import Invalid
from app.catalog.problems import invalid, prefixed
from app.config import Settings
from app.datasets.service import get_dataset
from app.errors import NotFound, PreconditionFailed
from app.interop.keras_json import KerasJsonError, import_keras_json
from app.interop.python_export import export_python
from app.interop.python_import import ImportProblem, import_python
from app.models import Architecture, ArchitecturesPublic, Dataset, StackIn, User, utcnow
from app.models.architectures import ArchitectureIn
from app.predictions.service import Predictions
from app.runs.plan import dataset_warnings
from app.stacks import check_and_summarize, check_stack
from app.stacks.partial import partial_summary
from app.versioning import update_if_at

STACK_FIELDS = {"input_shape", "layers", "compile"}


def list_architectures(
    session: Session, user: User, *, offset: int = 0, limit: int = 100
) -> ArchitecturesPublic:
    """The user's architectures (an admin: everyone's), newest first."""
    query = visible(select(Architecture), Architecture, user)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Architecture.id).desc()).offset(offset).limit(limit))
    return ArchitecturesPublic(data=rows.all(), count=count)  # type: ignore[arg-type]


def get_architecture(session: Session, user: User, architecture_id: int) -> Architecture:
    architecture = session.get(Architecture, architecture_id)
    if architecture is None or not can_see(architecture, user):
        raise NotFound(f"No architecture with id {architecture_id}.")
    return architecture


def _checked(stack: StackIn, settings: Settings) -> dict[str, Any]:
    checked, _ = check_and_summarize(stack.model_dump(), settings.max_layers, settings.max_params)
    return {"name": stack.name, **checked.as_json()}


def _dataset_id(session: Session, user: User, stack: ArchitectureIn) -> int | None:
    """The dataset the stack is built against, once it is one the user may read (another
    user's is a 404, as everywhere)."""
    if stack.dataset_id is None:
        return None
    return get_dataset(session, user, stack.dataset_id).id


def _save(session: Session, architecture: Architecture) -> Architecture:
    session.add(architecture)
    session.commit()
    session.refresh(architecture)
    return architecture


def create_architecture(
    session: Session, settings: Settings, user: User, stack: ArchitectureIn
) -> Architecture:
    """Check a stack against the catalog and save it as the user's."""
    checked, dataset_id = _checked(stack, settings), _dataset_id(session, user, stack)
    return _save(session, Architecture(**checked, dataset_id=dataset_id, owner_id=user.id))


def update_architecture(
    session: Session,
    settings: Settings,
    user: User,
    architecture_id: int,
    stack: ArchitectureIn,
    *,
    versions: list[int] | None = None,
) -> Architecture:
    """Replace a saved architecture (its dataset too) if it is still at one of `versions`
    (None: any); nothing changes unless the new stack is valid."""
    architecture = get_architecture(session, user, architecture_id)
    dataset_id = _dataset_id(session, user, stack)
    values = {**_checked(stack, settings), "dataset_id": dataset_id, "updated_at": utcnow()}
    # Check and bump in one UPDATE: of two saves that loaded the same version, one wins.
    changed = update_if_at(session, Architecture, architecture_id, versions, values)
    architecture = get_architecture(session, user, architecture_id)  # 404 if deleted meanwhile
    session.refresh(architecture)
    if not changed:
        raise _changed_elsewhere(architecture, versions or [])
    return architecture


def _changed_elsewhere(architecture: Architecture, versions: list[int]) -> PreconditionFailed:
    current, sent = architecture.version, ", ".join(f'"{v}"' for v in versions) or "no version"
    return PreconditionFailed(
        f"Architecture {architecture.id} changed since it was loaded: If-Match named {sent}, "
        f"it is now at version {current}. Nothing was saved. Reload it (GET "
        f"/api/architectures/{architecture.id}) and make your changes again, or PUT again "
        f'with If-Match: "{current}" (or without If-Match) to overwrite it with yours.',
        {"ETag": f'"{current}"'},
    )


def delete_architecture(session: Session, user: User, architecture_id: int) -> None:
    """Runs trained from it keep their own snapshot of the stack."""
    session.delete(get_architecture(session, user, architecture_id))
    session.commit()


def summarize_architecture(
    session: Session, settings: Settings, user: User, architecture_id: int
) -> dict[str, Any]:
    """`model.summary()` of a saved architecture."""
    data = get_architecture(session, user, architecture_id).model_dump(include=STACK_FIELDS)
    _, summary = check_and_summarize(data, settings.max_layers, settings.max_params)
    return summary.as_json()


def summarize_stack(
    settings: Settings, data: dict[str, Any], dataset: Dataset | None = None
) -> dict[str, Any]:
    """The live summary of an unsaved stack, checked against `dataset` when one is chosen.
    A stack that does not build is Invalid, with the rows before its fault beside the problems."""
    try:
        stack, summary = check_and_summarize(data, settings.max_layers, settings.max_params)
    except Invalid as error:
        partial = partial_summary(data, error, settings.max_layers)
        if dataset is not None:
            # The arguments may be right and only a shape wrong: the dataset can tell.
            with suppress(Invalid):
                stack = check_stack(data, settings.max_layers)
                partial["warnings"] = dataset_warnings(stack, None, dataset)
        raise Invalid(error.problems, {"summary": partial}) from None
    if dataset is not None:
        summary.warnings += dataset_warnings(stack, summary, dataset)
    return summary.as_json()


def _read_source(format: str, source: str) -> dict[str, Any]:
    try:
        if format == "python":
            return import_python(source)
        return {"architecture": import_keras_json(source), "ignored": [], "fit": {}}
    except ImportProblem as problem:
        where = f"line {problem.line}, column {problem.column}: " if problem.line else ""
        at = {"line": problem.line, "column": problem.column}
        raise invalid(("source",), f"{where}{problem.message}", "import_python", at) from None
    except KerasJsonError as error:
        raise invalid(("source",), str(error), "import_keras_json") from None


def import_architecture(
    session: Session, settings: Settings, user: User, *, format: str, source: str, save: bool
) -> dict[str, Any]:
    """Read pasted Keras code or Keras JSON into a checked stack (saved when `save`)."""
    result = _read_source(format, source)
    architecture = result["architecture"]
    try:
        checked, summary = check_and_summarize(
            architecture, settings.max_layers, settings.max_params
        )
    except Invalid as error:
        raise prefixed(error, "architecture") from None
    answer: dict[str, Any] = {
        "architecture": {"name": architecture.get("name", "Imported"), **checked.as_json()},
        "summary": summary.as_json(),
        "fit": result.get("fit", {}),
        "ignored": result.get("ignored", []),
        "id": None,
    }
    if save:
        saved = Architecture(**answer["architecture"], owner_id=user.id)
        answer["id"] = _save(session, saved).id
    return answer


async def export_architecture(
    session: Session, user: User, predictions: Predictions, architecture_id: int, format: str
) -> str:
    """A readable Keras script in the tutorial's style, or model.to_json() of the model."""
    saved = get_architecture(session, user, architecture_id)
    stack = saved.model_dump(include=STACK_FIELDS)
    if format == "python":
        return export_python(stack, name=saved.name)
    return await predictions.keras_json(architecture_id, stack)


def export_stack(settings: Settings, stack: StackIn) -> str:
    """The script of an unsaved stack (the builder's Export Python), once it checks."""
    data = stack.model_dump(include=STACK_FIELDS)
    check_and_summarize(data, settings.max_layers, settings.max_params)
    return export_python(data, name=stack.name)
