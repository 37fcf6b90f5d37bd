"""/docs: Swagger UI for the API, from the vendored bundle under static/vendor/ (no CDN, so it
works offline), started by a static module (no inline script, so the Content-Security-Policy
holds). FastAPI's own /docs page loads Swagger UI from a CDN with an inline script, and its
/redoc needs inline styles, so both are off in create_app."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.web.templates import templates

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def read_api_docs(request: Request) -> HTMLResponse:
    """Every operation of the API, with its schemas and a "Try it out" button."""
    context = {"openapi_url": request.app.openapi_url, "title": request.app.title}
    return templates.TemplateResponse(request, "docs.html", context)
