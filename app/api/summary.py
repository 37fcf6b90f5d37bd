"""The live summary the builder asks for on every change; never touches Keras."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.responses import BODY, ProblemPublic, described
from app.architectures import service
from app.datasets.service import get_dataset
from app.deps import CurrentUser, SessionDep, SettingsDep
from app.models import PartialSummaryPublic, StackIn, SummaryPublic
from app.models.common import MAX_ID

router = APIRouter(tags=["summary"])


class SummaryProblemsPublic(BaseModel):
    """422: the problems, and the summary of the layers before the first faulty one."""

    detail: list[ProblemPublic]
    summary: PartialSummaryPublic | None = None


RESPONSES = {
    **BODY,
    422: {"description": "The stack does not build: each problem, and the rows it could "
          "compute (`summary`, with `fault_index`)", "model": SummaryProblemsPublic},
    **described({404: "No dataset with this id"}),
}  # fmt: skip
DatasetId = Annotated[
    int | None,
    Query(ge=1, le=MAX_ID, description="Also check the stack against this dataset: input "
          "shape, units against classes, loss against labels (warnings with fixes)"),
]  # fmt: skip


@router.post("/summary", response_model=SummaryPublic, responses=RESPONSES)
def create_summary(
    stack: StackIn,
    settings: SettingsDep,
    session: SessionDep,
    user: CurrentUser,
    dataset_id: DatasetId = None,
) -> dict[str, Any]:
    """`model.summary()` of an unsaved stack: shapes, parameter counts, warnings."""
    dataset = get_dataset(session, user, dataset_id) if dataset_id is not None else None
    return service.summarize_stack(settings, stack.model_dump(), dataset)
