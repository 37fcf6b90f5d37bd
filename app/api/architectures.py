"""Saved architectures: a named layer stack with its compile settings."""

from typing import Any

from fastapi import APIRouter, HTTPException, Response
from sqlmodel import col, func, select

from app.deps import SessionDep, SettingsDep
from app.models import (
    Architecture,
    ArchitecturePublic,
    ArchitecturesPublic,
    StackIn,
    SummaryPublic,
    utcnow,
)
from app.summary import check_and_summarize

router = APIRouter(prefix="/architectures", tags=["architectures"])


def _get(session: SessionDep, architecture_id: int) -> Architecture:
    architecture = session.get(Architecture, architecture_id)
    if architecture is None:
        raise HTTPException(404, f"No architecture with id {architecture_id}.")
    return architecture


def _checked(stack: StackIn, settings: SettingsDep) -> dict[str, Any]:
    checked, _ = check_and_summarize(stack.model_dump(), settings.max_layers, settings.max_params)
    return {"name": stack.name, **checked.as_json()}


@router.get("", response_model=ArchitecturesPublic)
def read_architectures(session: SessionDep, offset: int = 0, limit: int = 100) -> Any:
    """All saved architectures, newest first."""
    count = session.exec(select(func.count()).select_from(Architecture)).one()
    rows = session.exec(
        select(Architecture).order_by(col(Architecture.id).desc()).offset(offset).limit(limit)
    ).all()
    return ArchitecturesPublic(data=rows, count=count)  # type: ignore[arg-type]


@router.post("", response_model=ArchitecturePublic, status_code=201)
def create_architecture(stack: StackIn, session: SessionDep, settings: SettingsDep) -> Any:
    """Check a stack against the catalog and save it."""
    architecture = Architecture(**_checked(stack, settings))
    session.add(architecture)
    session.commit()
    session.refresh(architecture)
    return architecture


@router.get("/{architecture_id}", response_model=ArchitecturePublic)
def read_architecture(architecture_id: int, session: SessionDep) -> Any:
    """One saved architecture."""
    return _get(session, architecture_id)


@router.put("/{architecture_id}", response_model=ArchitecturePublic)
def update_architecture(
    architecture_id: int, stack: StackIn, session: SessionDep, settings: SettingsDep
) -> Any:
    """Replace a saved architecture; nothing changes unless the new stack is valid."""
    architecture = _get(session, architecture_id)
    architecture.sqlmodel_update({**_checked(stack, settings), "updated_at": utcnow()})
    session.add(architecture)
    session.commit()
    session.refresh(architecture)
    return architecture


@router.delete("/{architecture_id}", status_code=204)
def delete_architecture(architecture_id: int, session: SessionDep) -> Response:
    """Delete a saved architecture."""
    session.delete(_get(session, architecture_id))
    session.commit()
    return Response(status_code=204)


@router.get("/{architecture_id}/summary", response_model=SummaryPublic)
def read_architecture_summary(
    architecture_id: int, session: SessionDep, settings: SettingsDep
) -> Any:
    """`model.summary()` of a saved architecture."""
    architecture = _get(session, architecture_id)
    data = architecture.model_dump(include={"input_shape", "layers", "compile"})
    _, summary = check_and_summarize(data, settings.max_layers, settings.max_params)
    return summary.as_json()
