"""The `layerstack` command: the server (`serve`, `users`, `dispatch`) and the REST API from a
terminal or a CI job. Every client command takes --json for machine-readable output (one
JSON document; `--follow` and `follow` write one JSON event per line).

Exit codes: 0 done (a followed run completed), 1 the server refused or cannot be reached
(its message on stderr), 2 a usage mistake, 3 the run failed, 4 it was cancelled or
interrupted, 130 you stopped following with Ctrl+C (the run goes on).
"""

from __future__ import annotations

import sys

from layerstack.cli import models, runs, server  # noqa: F401 (each registers its commands)
from layerstack.cli.base import app, err
from layerstack.errors import LayerstackError


def main() -> None:
    """The entry point: a refusal from the server is one line on stderr and exit 1."""
    try:
        app()
    except LayerstackError as error:
        err.print(f"[red]layerstack:[/] {error}", highlight=False)
        sys.exit(1)


__all__ = ["app", "main"]
