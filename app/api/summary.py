"""The live summary the builder asks for on every change; never touches Keras or the DB."""

from typing import Any

from fastapi import APIRouter

from app.api.responses import BODY
from app.deps import SettingsDep
from app.models import StackIn, SummaryPublic
from app.stacks.summary import check_and_summarize

router = APIRouter(tags=["summary"])


@router.post("/summary", response_model=SummaryPublic, responses=BODY)
def create_summary(stack: StackIn, settings: SettingsDep) -> dict[str, Any]:
    """`model.summary()` of an unsaved stack: shapes, parameter counts, warnings."""
    _, summary = check_and_summarize(stack.model_dump(), settings.max_layers, settings.max_params)
    return summary.as_json()
