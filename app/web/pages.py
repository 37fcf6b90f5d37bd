"""Server-rendered pages."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.catalog import GROUPS, LAYERS

templates = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "templates")
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def read_home(request: Request) -> HTMLResponse:
    """The start page: what Layerstack builds, and where its API lives."""
    groups = {g: [t for t in LAYERS if t.group == g] for g in GROUPS}
    return templates.TemplateResponse(request, "pages/home.html", {"groups": groups})
