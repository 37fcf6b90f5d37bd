"""What the server says when it starts: one line each for its URL, auth mode, data folder,
database, executor, web and inference processes, and (accounts mode) the first admin; and
for a clear misconfiguration (a database it cannot open, a DATA_DIR it cannot write, a port
in use) one line saying what was received and what to do, then exit status 2, no traceback.

`python -m app` (app/__main__.py `serve`) runs the checks and says the lines once, before
uvicorn starts; the web processes log on the same `layerstack` handler (LOGGING).
"""

from __future__ import annotations

import copy
import errno
import logging
import logging.config
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, make_url, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlmodel import Session, col
from uvicorn.config import LOGGING_CONFIG

from app.accounts.service import ensure_first_admin
from app.config import Settings
from app.db import make_engine
from app.models import User

log = logging.getLogger("layerstack")
EXIT_MISCONFIGURED = 2  # what `_settings()` exits with for settings that do not validate

# uvicorn's own logging, plus a plain stderr handler for `layerstack` and its children
# ("layerstack.executor: ..."), which otherwise have none and lose their INFO lines. Handed
# to uvicorn too, which applies it in each web process it starts (WEB_WORKERS=N).
LOGGING: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
LOGGING["formatters"]["layerstack"] = {"format": "%(name)s: %(message)s"}
LOGGING["handlers"]["layerstack"] = {
    "class": "logging.StreamHandler",
    "formatter": "layerstack",
    "stream": "ext://sys.stderr",
}
LOGGING["loggers"]["layerstack"] = {"handlers": ["layerstack"], "level": "INFO", "propagate": False}


class Misconfigured(Exception):
    """A setting the server cannot start with; its message is the one line to show."""


def configure_logging() -> None:
    logging.config.dictConfig(LOGGING)


@contextmanager
def explained(settings: Settings) -> Iterator[None]:
    """Turn a misconfiguration found inside into its one line and exit status 2."""
    try:
        yield
    except Misconfigured as error:
        log.error("%s", error)
    except OperationalError as error:  # unreachable, refused, wrong password, unopenable file
        first = (str(error.orig or error).strip().splitlines() or ["no reason given"])[0]
        reason = _scrub(first, settings)
        log.error(
            "cannot open the database DATABASE_URL=%s (%s): start it, check its user and "
            "password, or fix DATABASE_URL (empty: SQLite in DATA_DIR).",
            shown_url(settings),
            reason,
        )
    else:
        return
    raise SystemExit(EXIT_MISCONFIGURED)


def check_data_dir(settings: Settings) -> None:
    """DATA_DIR exists (made if need be) and this process may write in it."""
    root = settings.data_dir.resolve()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=root):
            pass
    except OSError as error:
        raise Misconfigured(
            f"DATA_DIR={root} cannot be made or written ({error.strerror or error}): point "
            f"DATA_DIR at a folder this user may write, or fix its permissions."
        ) from None


def check_port(settings: Settings) -> None:
    """HOST:PORT can be listened on (uvicorn binds it again: this only says why it can't)."""
    host, port = settings.host.strip("[]"), settings.port
    try:
        for family, kind, proto, _, address in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        ):
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                probe.bind(address)
    except OSError as error:
        raise Misconfigured(_cannot_listen(settings, error)) from None


def _cannot_listen(settings: Settings, error: OSError) -> str:
    where = f"HOST={settings.host} PORT={settings.port}"
    if error.errno == errno.EADDRINUSE:
        return (
            f"{where}: the port is in use (another server, or a Layerstack still running): "
            f"stop it, or set PORT to a free port."
        )
    if error.errno == errno.EACCES:
        return f"{where}: not allowed to listen there ({error.strerror}): set PORT above 1023."
    return (
        f"{where}: cannot listen there ({error.strerror or error}): set HOST to an address "
        f"of this machine (127.0.0.1 for this machine only, 0.0.0.0 for every interface)."
    )


def open_database(settings: Settings) -> Engine:
    """The engine for DATABASE_URL; a URL SQLAlchemy cannot use is a Misconfigured."""
    try:
        return make_engine(settings.db_url)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise Misconfigured(
            f"DATABASE_URL={shown_url(settings)} cannot be used ({_scrub(str(error), settings)}): "
            f"use postgresql+psycopg://user:password@host:5432/db, or leave it empty for "
            f"SQLite in DATA_DIR."
        ) from None


def shown_url(settings: Settings) -> str:
    """The database URL as it may be shown: never its password."""
    try:
        return make_url(settings.db_url).render_as_string(hide_password=True)
    except ArgumentError:  # not a URL: its scheme at most (the rest may hold a password)
        scheme, sep, _ = settings.db_url.partition("://")
        return f"{scheme}://..." if sep else "(not a URL)"


def _scrub(text: str, settings: Settings) -> str:
    try:
        password = make_url(settings.db_url).password
    except ArgumentError:
        return text
    return text.replace(str(password), "***") if password else text


def announce(settings: Settings) -> None:
    for line in summary(settings):
        log.info("%s", line)


def summary(settings: Settings) -> list[str]:
    """The lines a person starting the server needs, without secrets."""
    host = f"[{settings.host}]" if ":" in settings.host.strip("[]") else settings.host
    everywhere = " (every interface)" if settings.host in ("0.0.0.0", "::", "[::]") else ""
    if settings.accounts:
        auth = "accounts (every page and API call needs a signed-in user or an API token)"
    else:
        auth = "none (no sign-in: whoever reaches this loopback address is the local admin)"
    url = make_url(settings.db_url)
    database = (
        f"SQLite file {Path(url.database or '').resolve()}"
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
        else shown_url(settings)
    )
    return [
        f"url: http://{host}:{settings.port}/{everywhere}",
        f"auth: {auth}",
        f"data: {settings.data_dir.resolve()}",
        f"database: {database}",
        f"executor: {_executor(settings)}",
        f"web: {_web(settings)}",
        f"predictions: {_predictions(settings)}",
    ]


def _executor(settings: Settings) -> str:
    if settings.executor == "ray":
        where = settings.ray_address or "a Ray instance of its own (RAY_ADDRESS is empty)"
        if not settings.workers:
            return (
                f"ray, {where}; no dispatcher here (WORKERS=0): `python -m app dispatch` runs one"
            )
        return f"ray, {where}; its dispatcher runs here"
    if not settings.workers:
        return "local, no training workers (WORKERS=0): runs wait in the queue"
    return (
        f"local, {_count(settings.workers, 'training worker process')} (WORKERS={settings.workers})"
    )


def _web(settings: Settings) -> str:
    if settings.web_workers == 1:
        return "1 process (WEB_WORKERS=1)"
    n = settings.web_workers
    return f"{n} processes on one port (WEB_WORKERS={n}); one of them runs the executor"


def _predictions(settings: Settings) -> str:
    if not settings.predictors:
        return "off (PREDICTORS=0): predict requests answer 503"
    size = settings.model_cache_size
    return f"an inference process per web process, up to {_count(size, 'model')} loaded"


def first_admin(session: Session, settings: Settings) -> None:
    """Accounts mode: make the first admin from ADMIN_EMAIL/ADMIN_PASSWORD if nobody can sign
    in yet, and say so in one line, or who can, or that nobody can."""
    try:
        admin = ensure_first_admin(session, settings)
    except ValidationError as error:
        raise Misconfigured(_admin_refused(settings, error)) from None
    if admin is not None:
        log.info("accounts: created the first admin %s (ADMIN_EMAIL)", admin.email)
        return
    query = select(func.count()).select_from(User).where(col(User.password_hash).is_not(None))
    users = session.execute(query).scalar_one()
    if users:
        unused = "; ADMIN_EMAIL is used only while nobody can" if settings.admin_email else ""
        log.info("accounts: %s can sign in%s", _count(users, "user"), unused)
        return
    log.warning(
        "accounts: AUTH=accounts and no user can sign in yet: set ADMIN_EMAIL and "
        "ADMIN_PASSWORD, or run `python -m app users create --email you@example.com --admin`."
    )


def _admin_refused(settings: Settings, error: ValidationError) -> str:
    problems = []
    for problem in error.errors():
        if problem["loc"] == ("email",):
            problems.append(f"ADMIN_EMAIL={settings.admin_email!r} is not an email address")
        else:  # never the password itself
            problems.append(f"ADMIN_PASSWORD: {problem['msg']}")
    return f"the first admin was not created: {'; '.join(problems)}."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}es" if noun.endswith("s") else f"{n} {noun}s"
