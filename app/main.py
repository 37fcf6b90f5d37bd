"""The app factory: routers, static files, and start-up (migrations, the built-in dataset,
the executor, the event hub, the inference process)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session

from app.api import (
    architectures,
    catalog,
    datasets,
    health,
    interop,
    predictions,
    runs,
    summary,
)
from app.config import Settings, get_settings
from app.datasets.store import clean_leftovers, ensure_builtin
from app.db import make_engine, migrate
from app.errors import add_error_handlers
from app.executors import make_executor
from app.limits import BodyLimit
from app.predictions.predictor import Predictor
from app.predictions.service import Predictions
from app.runs.events import EventHub
from app.runs.state import interrupt_running
from app.web import pages

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("layerstack")


def _body_limit(settings: Settings) -> Any:
    def limit_for(scope: dict[str, Any]) -> tuple[int, str]:
        # Dataset uploads stream to disk and get their own, much larger cap.
        if scope["method"] == "POST" and scope["path"].rstrip("/") == "/api/datasets":
            return settings.max_upload_bytes, "MAX_UPLOAD_BYTES"
        if scope["method"] == "POST" and scope["path"].rstrip("/").endswith("/predict"):
            return settings.max_image_bytes, "MAX_IMAGE_BYTES"
        return settings.max_body_bytes, "MAX_BODY_BYTES"

    return limit_for


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(engine)
        interrupted = interrupt_running(engine)  # left running by a crash: resumable
        with Session(engine) as session:
            clean_leftovers(session, settings.paths)
            ensure_builtin(session, settings.paths)
        app.state.hub = EventHub(engine)
        app.state.executor = make_executor(settings, engine)
        app.state.executor.start()
        predictor = Predictor(settings.model_cache_size) if settings.predictors else None
        if predictor is not None:
            predictor.start()
        app.state.predictions = Predictions(settings, engine, predictor)
        if interrupted:
            log.warning("runs %s were running when the server stopped: interrupted", interrupted)
        yield
        await app.state.hub.stop()
        app.state.executor.stop()
        if predictor is not None:
            predictor.stop()
        engine.dispose()

    app = FastAPI(
        title="Layerstack",
        summary="Build, train and serve Keras Sequential models from a browser or over REST.",
        version="0.1.0",
        lifespan=lifespan,
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
        health.router,
        predictions.router,
    )
    for router in routers:
        app.include_router(router, prefix="/api")
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    app.add_middleware(BodyLimit, limit_for=_body_limit(settings))
    return app
