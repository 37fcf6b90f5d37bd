"""Saved architectures: a named layer stack with its compile settings."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.api.responses import described
from app.architectures import service
from app.deps import CurrentUser, SessionDep, SettingsDep
from app.models import ArchitecturePublic, ArchitecturesPublic, StackIn, SummaryPublic

router = APIRouter(prefix="/architectures", tags=["architectures"])
NOT_FOUND = described({404: "No architecture with this id"})


@router.get("", response_model=ArchitecturesPublic)
def read_architectures(
    session: SessionDep,
    user: CurrentUser,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """All saved architectures, newest first."""
    return service.list_architectures(session, user, offset=offset, limit=limit)


@router.post("", response_model=ArchitecturePublic, status_code=201)
def create_architecture(
    stack: StackIn, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Any:
    """Check a stack against the catalog and save it."""
    return service.create_architecture(session, settings, user, stack)


@router.get("/{architecture_id}", response_model=ArchitecturePublic, responses=NOT_FOUND)
def read_architecture(architecture_id: int, session: SessionDep, user: CurrentUser) -> Any:
    """One saved architecture."""
    return service.get_architecture(session, user, architecture_id)


@router.put("/{architecture_id}", response_model=ArchitecturePublic, responses=NOT_FOUND)
def update_architecture(
    architecture_id: int,
    stack: StackIn,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> Any:
    """Replace a saved architecture; nothing changes unless the new stack is valid."""
    return service.update_architecture(session, settings, user, architecture_id, stack)


@router.delete("/{architecture_id}", status_code=204, responses=NOT_FOUND)
def delete_architecture(architecture_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """Delete a saved architecture (runs trained from it keep their snapshot)."""
    service.delete_architecture(session, user, architecture_id)
    return Response(status_code=204)


@router.get("/{architecture_id}/summary", response_model=SummaryPublic, responses=NOT_FOUND)
def read_architecture_summary(
    architecture_id: int, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Any:
    """`model.summary()` of a saved architecture."""
    return service.summarize_architecture(session, settings, user, architecture_id)
