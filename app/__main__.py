"""`python -m app` (what `make run` calls): serve on HOST:PORT from the settings.

`python -m app users create --email you@example.com [--name "Your Name"] [--admin]` makes a
user; the password is asked for on the terminal, or read from the first line of stdin.

`python -m app dispatch` runs the Ray dispatcher (EXECUTOR=ray) in the foreground.

WEB_WORKERS=N serves with N web processes on one port (uvicorn's workers).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

import uvicorn
from pydantic import ValidationError

if TYPE_CHECKING:
    from app.config import Settings


def _settings() -> Settings:
    from app.config import get_settings

    try:
        return get_settings()
    except ValidationError as error:  # e.g. AUTH=none on a public HOST: say why, no traceback
        for problem in error.errors():
            print(f"layerstack: {problem['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        raise SystemExit(2) from None


def _password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password (8 characters or more): ")
        if getpass.getpass("Again: ") != first:
            raise SystemExit("layerstack: the passwords differ; nothing was created.")
        return first
    return sys.stdin.readline().rstrip("\n")


def create_user(args: argparse.Namespace) -> None:
    from sqlmodel import Session

    from app.accounts.service import create_user as create
    from app.db import make_engine, migrate
    from app.errors import Conflict
    from app.models import UserCreate, UserRole

    settings = _settings()
    engine = make_engine(settings.db_url)
    migrate(engine)
    try:
        role = UserRole.ADMIN if args.admin else UserRole.MEMBER
        body = UserCreate(
            email=args.email, display_name=args.name or "", password=_password(), role=role
        )
        with Session(engine) as session:
            user = create(session, body)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise SystemExit(f"layerstack: {problems}") from None
    except Conflict as error:
        raise SystemExit(f"layerstack: {error.message}") from None
    print(f"Created {user.role} {user.email} (id {user.id}).")


def dispatch() -> None:
    """The Ray dispatcher in the foreground (EXECUTOR=ray on another host, or WORKERS=0 on the
    web server's): it waits for the database lease, then drives the cluster until Ctrl-C."""
    import contextlib
    import logging
    import os

    from app.db import make_engine, migrate
    from app.executors.bell import Silent
    from app.executors.dispatcher import Dispatcher

    settings = _settings()
    migrate(make_engine(settings.db_url))
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: serve() cleans up on its way out
        Dispatcher(settings).serve(Silent())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command")
    users = commands.add_parser("users", help="manage users").add_subparsers(dest="action")
    create = users.add_parser("create", help="create a user (asks for the password)")
    create.add_argument("--email", required=True)
    create.add_argument("--name", help="display name")
    create.add_argument("--admin", action="store_true", help="may manage users, sees all work")
    commands.add_parser("dispatch", help="run the Ray dispatcher (EXECUTOR=ray) here")
    args = parser.parse_args(argv)
    if args.command == "dispatch":
        dispatch()
        return
    if args.command == "users" and args.action == "create":
        create_user(args)
        return
    if args.command == "users":
        parser.parse_args(["users", "--help"])
    serve(_settings())


def serve(settings: Settings) -> None:
    """Check DATA_DIR, the port and the database, say the start-up lines (app/startup.py), run
    the start-up chores once (app.main.prepare), then uvicorn: one web process, or with
    WEB_WORKERS=N its supervisor and N processes, one of which runs the executor. A clear
    misconfiguration ends here, with one line and exit status 2."""
    import os

    from app import startup
    from app.main import PREPARED, prepare

    startup.configure_logging()
    with startup.explained(settings):
        startup.check_data_dir(settings)
        startup.check_port(settings)
        engine = startup.open_database(settings)
        startup.announce(settings)
        prepare(settings, engine)
        engine.dispose()
    os.environ[PREPARED] = "1"
    workers = settings.web_workers
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers if workers > 1 else None,
        log_config=startup.LOGGING,
    )


if __name__ == "__main__":
    main()
