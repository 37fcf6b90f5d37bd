"""Request dependencies as Annotated aliases; handlers never open their own session and
never reach into `request.app.state` themselves.

What lives on app.state is made once in create_app's lifespan: the engine, the executor,
the event hub, and the web process's side of predictions.
"""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.executors import Executor
from app.paths import DataPaths
from app.predictions.service import Predictions
from app.runs.events import EventHub


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_paths(request: Request) -> DataPaths:
    return get_settings_dep(request).paths


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    with Session(get_engine(request)) as session:
        yield session


def get_executor(request: Request) -> Executor:
    executor: Executor = request.app.state.executor
    return executor


def get_hub(request: Request) -> EventHub:
    hub: EventHub = request.app.state.hub
    return hub


def get_predictions(request: Request) -> Predictions:
    predictions: Predictions = request.app.state.predictions
    return predictions


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
PathsDep = Annotated[DataPaths, Depends(get_paths)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
ExecutorDep = Annotated[Executor, Depends(get_executor)]
HubDep = Annotated[EventHub, Depends(get_hub)]
PredictionsDep = Annotated[Predictions, Depends(get_predictions)]
