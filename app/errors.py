"""What services raise when a request cannot be served, and how each becomes an HTTP answer.

Services never raise HTTPException: they raise these (or `Invalid`, `DatasetError`), so the
same decision reads the same from a route, a page or a test. Bad input is FastAPI's 422
shape with `loc` starting at "body".
"""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.catalog import Invalid
from app.datasets.base import DatasetError


class ServiceError(Exception):
    """An answer other than success; `status` is its HTTP status, `message` says why and what
    to do."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    """The object exists but its state does not allow this (e.g. cancelling a finished run)."""

    status = 409


class Unavailable(ServiceError):
    """A process the request needs is not running (inference off, or restarting)."""

    status = 503


class Failed(ServiceError):
    """Something on our side went wrong while serving a valid request."""

    status = 500


async def service_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return JSONResponse({"detail": exc.message}, status_code=exc.status)


async def invalid_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Invalid)
    detail = [{**p.as_dict(), "loc": ["body", *p.loc]} for p in exc.problems]
    return JSONResponse({"detail": detail}, status_code=422)


async def dataset_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DatasetError)
    if exc.status != 422:  # 413, 415: nothing to point at inside the body
        return JSONResponse({"detail": exc.message}, status_code=exc.status)
    problem = {"loc": ["body", exc.field], "msg": exc.message, "type": "dataset"}
    return JSONResponse({"detail": [problem]}, status_code=422)


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, service_error_handler)
    app.add_exception_handler(Invalid, invalid_handler)
    app.add_exception_handler(DatasetError, dataset_error_handler)
