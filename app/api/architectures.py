"""Saved architectures: a named layer stack with its compile settings."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from app.api.params import Id, Limit, Offset, expected_versions
from app.api.responses import BODY, described
from app.architectures import service
from app.deps import CurrentUser, SessionDep, SettingsDep
from app.models import ArchitecturePublic, ArchitecturesPublic, SummaryPublic
from app.models.architectures import ArchitectureIn

router = APIRouter(prefix="/architectures", tags=["architectures"])
NOT_FOUND = described({404: "No architecture with this id"})
NO_DATASET = described({404: "No dataset with the body's dataset_id (yours or built in)"})
BOTH_NOT_FOUND = described(
    {404: "No architecture with this id, or no dataset with the body's dataset_id"}
)
STALE = described(
    {412: "If-Match names another version: the answer says the current one (also its ETag)"}
)
IF_MATCH = Header(
    description='The version loaded, as its ETag ("3"): the save is refused with 412 if the '
    "architecture changed since. `*` or no If-Match overwrites whatever is saved.",
)


@router.get("", response_model=ArchitecturesPublic)
def read_architectures(
    session: SessionDep,
    user: CurrentUser,
    offset: Offset = 0,
    limit: Limit = 100,
) -> Any:
    """All saved architectures, newest first."""
    return service.list_architectures(session, user, offset=offset, limit=limit)


@router.post("", response_model=ArchitecturePublic, status_code=201, responses=BODY | NO_DATASET)
def create_architecture(
    stack: ArchitectureIn, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Any:
    """Check a stack against the catalog and save it (with the dataset it is built against)."""
    return service.create_architecture(session, settings, user, stack)


@router.get("/{architecture_id}", response_model=ArchitecturePublic, responses=NOT_FOUND)
def read_architecture(
    architecture_id: Id, session: SessionDep, user: CurrentUser, response: Response
) -> Any:
    """One saved architecture; its ETag is its version, for If-Match on PUT."""
    architecture = service.get_architecture(session, user, architecture_id)
    response.headers["ETag"] = f'"{architecture.version}"'
    return architecture


@router.put(
    "/{architecture_id}",
    response_model=ArchitecturePublic,
    responses=BOTH_NOT_FOUND | STALE | BODY,
)
def update_architecture(
    architecture_id: Id,
    stack: ArchitectureIn,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    response: Response,
    if_match: Annotated[str | None, IF_MATCH] = None,
) -> Any:
    """Replace a saved architecture; nothing changes unless the new stack is valid and, with
    If-Match, unless it is still at the version named."""
    versions = expected_versions(if_match)
    saved = service.update_architecture(
        session, settings, user, architecture_id, stack, versions=versions
    )
    response.headers["ETag"] = f'"{saved.version}"'
    return saved


@router.delete("/{architecture_id}", status_code=204, responses=NOT_FOUND)
def delete_architecture(architecture_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    """Delete a saved architecture (runs trained from it keep their snapshot)."""
    service.delete_architecture(session, user, architecture_id)
    return Response(status_code=204)


@router.get("/{architecture_id}/summary", response_model=SummaryPublic, responses=NOT_FOUND)
def read_architecture_summary(
    architecture_id: Id, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Any:
    """`model.summary()` of a saved architecture."""
    return service.summarize_architecture(session, settings, user, architecture_id)
