"""What services raise when a request cannot be served, and how each becomes an HTTP answer.

Services never raise HTTPException: they raise these (or `Invalid`, `DatasetError`), so the
same decision reads the same from a route, a page or a test. Bad input is FastAPI's 422
shape with `loc` starting at "body".
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from app.catalog import Invalid
from app.datasets.base import DatasetError
from app.storage import TEMPORARY_FOLDER, disk_full_message, is_disk_full, writing


class ServiceError(Exception):
    """An answer other than success; `status` is its HTTP status, `message` says why and what
    to do, `headers` go with the answer."""

    status = 400

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class NotSignedIn(ServiceError):
    """No valid session or API token (or a wrong password)."""

    status = 401

    def __init__(self, message: str) -> None:
        super().__init__(message, {"WWW-Authenticate": "Bearer"})


class Forbidden(ServiceError):
    """Signed in, but this needs a role the user does not have (e.g. admin)."""

    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    """The object exists but its state does not allow this (e.g. cancelling a finished run)."""

    status = 409


class PreconditionFailed(ServiceError):
    """A conditional request (If-Match) names a version the object no longer has."""

    status = 412


class TooLarge(ServiceError):
    """Over a size limit or a storage quota."""

    status = 413


class TooManyTries(ServiceError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, {"Retry-After": str(retry_after)})


class Unavailable(ServiceError):
    """A process the request needs is not running (inference off, or restarting)."""

    status = 503


class Failed(ServiceError):
    """Something on our side went wrong while serving a valid request."""

    status = 500


class InsufficientStorage(ServiceError):
    """The server's disk (or quota) is full: what the request had to write was not kept."""

    status = 507


@contextmanager
def disk_full_is_507(what: str, where: str = "DATA_DIR") -> Iterator[None]:
    """Inside it (or the function it decorates), a write that finds the disk full raises
    InsufficientStorage naming `what` and `where`; the caller's own clean-up (a `finally`, a
    rollback) has run by then."""
    with writing(what, where, raise_as=InsufficientStorage):
        yield


async def service_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    if isinstance(exc, NotSignedIn) and _is_page(request):
        return _to_sign_in(request)
    return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=exc.headers)


def _is_page(request: Request) -> bool:
    """A person's browser asking for a page or fragment (not the JSON API, not a script)."""
    return not request.url.path.startswith("/api/") and request.method == "GET"


def _to_sign_in(request: Request) -> Response:
    """Pages send a visitor who is not signed in to the sign-in page, and back afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = f"/sign-in?{urlencode({'next': here})}"
    if request.headers.get("HX-Request") == "true":  # htmx: the whole page goes, not a part
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def invalid_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Invalid)
    detail = [{**p.as_dict(), "loc": ["body", *p.loc]} for p in exc.problems]
    return JSONResponse({"detail": detail, **exc.context}, status_code=422)


async def dataset_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DatasetError)
    if exc.status != 422:  # 413, 415: nothing to point at inside the body
        return JSONResponse({"detail": exc.message}, status_code=exc.status)
    problem = {"loc": ["body", exc.field], "msg": exc.message, "type": "dataset"}
    return JSONResponse({"detail": [problem]}, status_code=422)


def _allowed(request: Request) -> str:
    """Every method some route serves at this path: Starlette's own `Allow` names only the
    methods of the first route that matches the path (GET /api/runs/{id}, not its DELETE)."""
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def _not_found_page(request: Request, why: str = "") -> Response:
    """A person who follows a stale link or mistypes an address gets a page in the studio's
    style with a way on, not raw JSON; scripts under /api keep their JSON 404."""
    # Imported here: app.web renders through app.deps, which imports this module.
    from app.web.templates import render_page

    path = request.url.path + (f"?{request.url.query}" if why and request.url.query else "")
    message = f"There is no page at {path}{f': {why}' if why else ''}."
    context = {"message": message, "back_url": "/", "back_text": "Home"}
    return render_page(request, "not_found", context, status_code=404)


# What pydantic says about a path or query id that is not one (abc, 0, 1.5, 2**70).
ID_ERRORS = {"int_parsing", "int_from_float", "greater_than_equal", "less_than_equal"}


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    """A page address with a value its route cannot take (/runs/abc, /builder?architecture=x)
    names no page: a browser gets the 404 page, saying which value. The API, htmx asking for
    part of a page, a stream or a script keep FastAPI's 422 with its `loc`."""
    assert isinstance(exc, RequestValidationError)
    navigating = "text/html" in request.headers.get("Accept", "")  # not fetch(), EventSource
    fragment = request.headers.get("HX-Request") == "true"
    if not _is_page(request) or fragment or not navigating:
        return await request_validation_exception_handler(request, exc)
    first: dict[str, Any] = next(iter(exc.errors()), {})
    name, received = str(first.get("loc", ("a value",))[-1]), first.get("input")
    if first.get("type") in ID_ERRORS:
        why = f"{name} must be a whole number from 1, not {received!r}"
    else:
        why = f"{name} {received!r}: {first.get('msg', 'not accepted')}"
    return _not_found_page(request, why)


UNREADABLE = "There was an error parsing the body"  # FastAPI's 400 for a body it cannot read


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """A page that does not exist is a page saying so. A 405 names every method allowed at
    its path. A 400 from reading the body (JSON that is not UTF-8 or nests too deeply, a
    malformed multipart form) becomes a 422 like any other bad body, saying which."""
    assert isinstance(exc, HTTPException)
    # A missing static file stays a plain 404: no script or stylesheet wants a page back.
    if exc.status_code == 404 and _is_page(request) and not request.url.path.startswith("/static/"):
        return _not_found_page(request)
    if exc.status_code == 405:
        exc.headers = {**(exc.headers or {}), "Allow": _allowed(request)}
    if exc.status_code != 400:
        return await http_exception_handler(request, exc)
    cause = exc.__cause__
    if is_disk_full(cause):  # spooling an uploaded file to a temporary file
        msg = disk_full_message("the uploaded body", TEMPORARY_FOLDER)
        return JSONResponse({"detail": msg}, status_code=InsufficientStorage.status)
    if isinstance(cause, RecursionError):
        msg = "The body nests too deeply to read: send a flatter document."
    elif isinstance(cause, UnicodeDecodeError):
        msg = f"The body is not UTF-8 text ({cause.reason}): send JSON in UTF-8."
    elif exc.detail != UNREADABLE:  # Starlette's word on a malformed form
        msg = f"The multipart form could not be read: {exc.detail}"
    else:
        msg = "The body could not be read: send JSON, or a well-formed multipart form."
    problem = {"loc": ["body"], "msg": msg, "type": "body_unreadable"}
    return JSONResponse({"detail": [problem]}, status_code=422)


# Where a full disk that no service named (the safety net below) may have been.
ANY_STORE = "DATA_DIR, the database or the server's temporary folder (TMPDIR)"


async def disk_full_handler(request: Request, exc: Exception) -> Response:
    """The safety net: a full disk anywhere in a request is a 507, not a 500. Any other
    OSError or database error goes on to be the 500 it was."""
    if not is_disk_full(exc):
        raise exc
    message = disk_full_message("what this request had to store", ANY_STORE)
    return JSONResponse({"detail": message}, status_code=InsufficientStorage.status)


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(ServiceError, service_error_handler)
    app.add_exception_handler(Invalid, invalid_handler)
    app.add_exception_handler(DatasetError, dataset_error_handler)
    app.add_exception_handler(OSError, disk_full_handler)
    app.add_exception_handler(OperationalError, disk_full_handler)
