"""What every `layerstack` command shares: the Typer apps, the connection options, the
consoles, and one way to print an answer (a table or a line, or JSON with --json)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from layerstack.client import Client

app = typer.Typer(
    help="Layerstack: build, train and serve Keras Sequential models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
arch_app = typer.Typer(help="Architectures: import, list, summarise.", no_args_is_help=True)
data_app = typer.Typer(help="Datasets: upload, add a tutorial dataset, list.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts on this server's database.", no_args_is_help=True)
app.add_typer(arch_app, name="arch")
app.add_typer(data_app, name="data")
app.add_typer(users_app, name="users")

out = Console()
err = Console(stderr=True)
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output (JSON).")]
RunId = Annotated[int, typer.Argument(help="The run's id.", min=1)]


class State:
    url: str | None = None
    token: str | None = None

    @classmethod
    def client(cls) -> Client:
        return Client(cls.url, cls.token)


@app.callback()
def connection(
    url: Annotated[
        str | None,
        typer.Option(envvar="LAYERSTACK_URL", help="The server (http://127.0.0.1:8000)."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="LAYERSTACK_TOKEN", help="An API token (servers with accounts)."),
    ] = None,
) -> None:
    State.url, State.token = url, token


def emit(value: Any, as_json: bool, table: Table | str | None = None) -> None:
    if as_json:
        out.print_json(json.dumps(value, default=str))
    elif table is not None:
        out.print(table)
