"""`layerstack serve`, `dispatch` and `users`: the server's own commands, on this machine's
settings and database (they import the server; the client commands never do)."""

from __future__ import annotations

from typing import Annotated

import typer

from layerstack.cli.base import app, users_app


@app.command()
def serve() -> None:
    """Serve the studio and the API on HOST:PORT (what `make run` runs)."""
    from app.__main__ import _settings
    from app.__main__ import serve as serve_app

    serve_app(_settings())


@app.command()
def dispatch() -> None:
    """Run the Ray dispatcher here (EXECUTOR=ray)."""
    from app.__main__ import dispatch as run_dispatcher

    run_dispatcher()


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Their email, to sign in with.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    admin: Annotated[bool, typer.Option(help="May manage users; sees all work.")] = False,
) -> None:
    """Create a user (the password is asked for, or read from stdin's first line)."""
    import argparse

    from app.__main__ import create_user

    create_user(argparse.Namespace(email=email, name=name, admin=admin))
