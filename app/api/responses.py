"""The error statuses a route documents in its OpenAPI `responses`, each with the body it
really sends: `{"detail": "..."}` from app/errors.py, or FastAPI's list of problems for 422
(which app/errors.py also uses for invalid stacks and datasets)."""

from typing import Any

from pydantic import BaseModel

Responses = dict[int | str, dict[str, Any]]


class ErrorPublic(BaseModel):
    """Why the request was not served, and what to do."""

    detail: str


class ProblemPublic(BaseModel):
    """One problem with the request: where (`loc`), what (`msg`), of which kind (`type`)."""

    loc: list[str | int]
    msg: str
    type: str


class ProblemsPublic(BaseModel):
    """422: each problem found in the request (a stack's problems may also carry `input`,
    `fix`, `line`, `column`)."""

    detail: list[ProblemPublic]


def described(texts: dict[int, str]) -> Responses:
    """{404: "No run with this id"} -> {404: {"description": ..., "model": ErrorPublic}}."""
    return {
        status: {"description": text, "model": ProblemsPublic if status == 422 else ErrorPublic}
        for status, text in texts.items()
    }


def described_json(texts: dict[int, str]) -> Responses:
    """As `described`, for a route whose own answer is not JSON (an event stream): FastAPI
    files a `model` under the route's media type, so ErrorPublic is referenced by hand (its
    schema is in the document: other routes use it)."""
    schema = {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}
    return {
        status: {"description": text, "content": {"application/json": schema}}
        for status, text in texts.items()
    }


# Statuses many routes share: a body over its cap, or one that is not valid JSON or a form.
BODY = described(
    {
        413: "The body is over its cap (MAX_BODY_BYTES, MAX_UPLOAD_BYTES or MAX_IMAGE_BYTES)",
        422: "The body or a parameter is not valid (each problem listed)",
    }
)


# Any route may meet a full disk: its own files, a database write (in accounts mode even a
# read records when a token was last used), an upload spooled to a temporary file.
DISK_FULL_TEXT = "The server's disk is full (DATA_DIR, the database or TMPDIR); nothing was kept"
DISK_FULL = described({507: DISK_FULL_TEXT})


def file(description: str, *media_types: str) -> Responses:
    """A 200 that is a file or text in one of `media_types`, not JSON (use with
    `response_class=Response`, which documents no content of its own)."""
    schema = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": description, "content": dict.fromkeys(media_types, schema)}}
