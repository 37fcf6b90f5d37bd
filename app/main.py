"""The app factory: routers, static files, and start-up (migrations, the built-in dataset,
the executor, the event hub, the inference process)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts import service as accounts
from app.accounts.throttle import Throttle
from app.api import (
    architectures,
    catalog,
    datasets,
    exports,
    health,
    interop,
    predictions,
    runs,
    summary,
    sweeps,
    tokens,
    users,
)
from app.api import session as session_routes
from app.api.responses import DISK_FULL, described
from app.config import Settings, get_settings
from app.datasets.catalog_jobs import CatalogJobs
from app.datasets.store import clean_leftovers, ensure_builtin
from app.db import make_engine, migrate
from app.deps import get_current_user
from app.errors import add_error_handlers
from app.executors import make_executor
from app.executors.cluster import DISPATCHER_PREFIX
from app.executors.leader import Leader
from app.executors.local import tell_changes
from app.limits import BodyLimit
from app.models import User
from app.predictions.predictor import Predictor
from app.predictions.service import Predictions
from app.runs.events import EventHub
from app.runs.streams import Streams, close_on_exit
from app.security import HostAllowList, SameOrigin, SecurityHeaders
from app.slots import Slots
from app.startup import first_admin
from app.web import pages
from app.web import session as web_session

ROOT = Path(__file__).resolve().parent.parent
# Set by `python -m app` for its web process(es) once it has run prepare() itself.
PREPARED = "LAYERSTACK_PREPARED"


def _body_limit(settings: Settings) -> Any:
    def limit_for(scope: dict[str, Any]) -> tuple[int, str]:
        # Dataset uploads stream to disk and get their own, much larger cap.
        if scope["method"] == "POST" and scope["path"].rstrip("/") == "/api/datasets":
            return settings.max_upload_bytes, "MAX_UPLOAD_BYTES"
        if scope["method"] == "POST" and scope["path"].rstrip("/").endswith("/predict"):
            return settings.max_image_bytes, "MAX_IMAGE_BYTES"
        return settings.max_body_bytes, "MAX_BODY_BYTES"

    return limit_for


def _local_user(session: Session, settings: Settings) -> User | None:
    """AUTH=none: the local user every request acts as (kept, detached); accounts: None."""
    if settings.accounts:
        return None
    local = accounts.ensure_local_user(session)
    session.expunge(local)
    return local


# Middleware answers these before any route runs, where FastAPI cannot see them: declared once
# here for every operation (a route's own, more specific description is kept).
REFUSALS = {
    "400": "The Host header names no host this server answers to (ALLOWED_HOSTS)",
    "413": "The body is over its cap (MAX_BODY_BYTES, MAX_UPLOAD_BYTES or MAX_IMAGE_BYTES)",
}
CROSS_SITE = {"403": "A browser says this change comes from another site (Origin, Sec-Fetch-Site)"}


def _declare_refusals(app: FastAPI) -> None:
    """The OpenAPI document with HostAllowList's 400, BodyLimit's 413 (GETs too) and, on
    changes, SameOrigin's 403 in every operation, each as the `{"detail": str}` it sends."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()  # FastAPI keeps it as app.openapi_schema: amended once, here
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                refusals = REFUSALS | ({} if method in ("get", "head") else CROSS_SITE)
                for status, text in refusals.items():
                    answer = {"description": text, "content": body}
                    operation["responses"].setdefault(status, answer)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def prepare(settings: Settings, engine: Engine) -> User | None:
    """Once per start, before any request: migrations, crash leftovers, the built-in dataset
    and the first user (accounts mode: the first admin, said in one line). Not safe beside a
    serving process (it deletes unclaimed work folders), so `python -m app` runs it before
    uvicorn starts its process(es); create_app's lifespan runs it when nobody did."""
    migrate(engine)
    with Session(engine) as session:
        clean_leftovers(session, settings.paths)
        ensure_builtin(session, settings.paths)
        if settings.accounts:
            first_admin(session, settings)
        return _local_user(session, settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if os.environ.get(PREPARED):  # `python -m app` did it before starting uvicorn
            with Session(engine) as session:
                app.state.local_user = _local_user(session, settings)
        else:
            app.state.local_user = prepare(settings, engine)
        app.state.throttle = Throttle()
        app.state.hub = EventHub(engine, settings.events_poll_s, settings.events_trace)
        per_user = settings.max_streams_per_user if settings.accounts else None
        app.state.streams = Streams(settings.max_streams, per_user)
        restore_signals = close_on_exit(app.state.streams)
        app.state.import_slots = Slots(settings.max_imports, "MAX_IMPORTS")
        app.state.catalog_jobs = CatalogJobs(engine, settings, app.state.import_slots)
        # One web process of all those on this database runs the executor (app/executors/
        # leader.py). A Ray dispatcher's runs may be another live server's; a dead
        # dispatcher's are interrupted by the one that takes its lease.
        spare = DISPATCHER_PREFIX if settings.executor == "ray" else None
        app.state.executor = Leader(
            lambda: tell_changes(make_executor(settings, engine), app.state.hub.wake_soon),
            engine,
            settings.workers > 0,
            spare,
        )
        app.state.executor.start()
        predictor = Predictor(settings.model_cache_size) if settings.predictors else None
        if predictor is not None:
            predictor.start()
        app.state.predictions = Predictions(settings, engine, predictor)
        yield
        restore_signals()
        await app.state.hub.stop()
        app.state.catalog_jobs.stop()
        app.state.executor.stop()
        if predictor is not None:
            predictor.stop()
        engine.dispose()

    app = FastAPI(
        title="Layerstack",
        summary="Build, train and serve Keras Sequential models from a browser or over REST.",
        version="0.1.0",
        lifespan=lifespan,
        # FastAPI's pages load from a CDN with inline code, which the CSP refuses: /docs is
        # app/web/docs.py, from vendored files; ReDoc is off (it needs inline styles).
        docs_url=None,
        redoc_url=None,
    )
    # What app.deps hands to handlers; the rest is made at start-up (lifespan).
    app.state.settings = settings
    app.state.engine = engine
    add_error_handlers(app)
    routers = (
        catalog.router,
        summary.router,
        interop.router,  # before architectures: /architectures/import is not an id
        architectures.router,
        datasets.router,
        runs.router,
        exports.router,
        sweeps.router,
        health.router,
        predictions.router,
        tokens.router,
        users.router,
    )
    signed_in = [Depends(get_current_user)]  # every API call but signing in needs a user
    not_signed_in = described({401: "Not signed in (AUTH=accounts): no valid session or token"})
    shared = not_signed_in | DISK_FULL  # app/errors.py answers a full disk anywhere with 507
    for router in routers:
        app.include_router(router, prefix="/api", dependencies=signed_in, responses=shared)
    app.include_router(session_routes.router, prefix="/api", responses=DISK_FULL)
    app.include_router(web_session.router)  # the sign-in page: the one open to all
    app.include_router(pages.router, dependencies=signed_in)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    app.add_middleware(BodyLimit, limit_for=_body_limit(settings))
    # The last added runs first: headers on every answer, even the refusals below; an unknown
    # Host never reaches the origin check; a cross-site change is refused before its body is read.
    app.add_middleware(SameOrigin)
    app.add_middleware(HostAllowList, allowed=settings.hosts)
    app.add_middleware(SecurityHeaders)
    _declare_refusals(app)
    return app
