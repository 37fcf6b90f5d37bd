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
from starlette.concurrency import run_in_threadpool

from app.accounts import service as accounts
from app.accounts.cache import signed_in
from app.accounts.throttle import Throttle
from app.accounts.tokens import digest
from app.config import Settings
from app.datasets.catalog_jobs import CatalogJobs
from app.errors import NotSignedIn
from app.executors.leader import Leader
from app.models import User
from app.paths import DataPaths
from app.predictions.service import Predictions
from app.runs.events import EventHub
from app.runs.streams import Streams
from app.slots import Slots


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


def get_executor(request: Request) -> Leader:
    executor: Leader = request.app.state.executor
    return executor


def get_hub(request: Request) -> EventHub:
    hub: EventHub = request.app.state.hub
    return hub


def get_predictions(request: Request) -> Predictions:
    predictions: Predictions = request.app.state.predictions
    return predictions


def get_import_slots(request: Request) -> Slots:
    slots: Slots = request.app.state.import_slots
    return slots


def get_catalog_jobs(request: Request) -> CatalogJobs:
    jobs: CatalogJobs = request.app.state.catalog_jobs
    return jobs


SESSION_COOKIE = "layerstack_session"
SIGN_IN = (
    "Sign in first: POST /api/session with your email and password (a browser gets a "
    "session cookie), or send `Authorization: Bearer <token>` with a personal API token."
)


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def get_current_user(request: Request) -> User:
    """The user making the request: AUTH=none's local user, or the owner of the API token
    or of the session cookie; 401 otherwise.

    Async, so a known user costs no thread hop: who a secret belongs to is remembered for a
    few seconds (app/accounts/cache.py). Otherwise it is looked up off the event loop, in a
    session of its own closed at once, and handed over detached: a long event stream must
    not hold a pooled connection."""
    settings = get_settings_dep(request)
    if not settings.accounts:
        local: User = request.app.state.local_user
        return local
    token = bearer_token(request)
    secret = token if token is not None else request.cookies.get(SESSION_COOKIE)
    key = digest(secret) if secret else None
    user = signed_in.get(key) if key else None
    if user is None:
        user = await run_in_threadpool(look_up_user, request, settings, token)
        if key:
            signed_in.put(key, user)
    return user


def look_up_user(request: Request, settings: Settings, token: str | None) -> User:
    with Session(get_engine(request), expire_on_commit=False) as session:
        user = _signed_in(request, session, settings, token)
        session.expunge(user)
    return user


def _signed_in(request: Request, session: Session, settings: Settings, token: str | None) -> User:
    if token is not None:
        user = accounts.user_for_token(session, token)
        if user is None:
            raise NotSignedIn(
                "The API token is unknown, revoked or expired. Make a new one on the Tokens "
                "page or with POST /api/tokens."
            )
        return user
    secret = request.cookies.get(SESSION_COOKIE)
    user = accounts.user_for_session(session, settings, secret) if secret else None
    if user is None:
        raise NotSignedIn(SIGN_IN)
    return user


def get_throttle(request: Request) -> Throttle:
    throttle: Throttle = request.app.state.throttle
    return throttle


def stream_room(request: Request, user: Annotated[User, Depends(get_current_user)]) -> Streams:
    """The open streams, after checking there is room for one more of this user's (429)."""
    streams: Streams = request.app.state.streams
    streams.check_room(user.id)
    return streams


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
PathsDep = Annotated[DataPaths, Depends(get_paths)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
ExecutorDep = Annotated[Leader, Depends(get_executor)]
HubDep = Annotated[EventHub, Depends(get_hub)]
PredictionsDep = Annotated[Predictions, Depends(get_predictions)]
ImportSlotsDep = Annotated[Slots, Depends(get_import_slots)]
CatalogJobsDep = Annotated[CatalogJobs, Depends(get_catalog_jobs)]
CurrentUser = Annotated[User, Depends(get_current_user)]
ThrottleDep = Annotated[Throttle, Depends(get_throttle)]
StreamRoom = Annotated[Streams, Depends(stream_room)]
