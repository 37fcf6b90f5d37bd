"""How problems become HTTP answers: FastAPI's 422 shape, with `loc` starting at "body"."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.catalog import Invalid
from app.datasets.base import DatasetError


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
    app.add_exception_handler(Invalid, invalid_handler)
    app.add_exception_handler(DatasetError, dataset_error_handler)
