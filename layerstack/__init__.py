"""Layerstack from Python and the terminal: `layerstack.Client` (the REST API as methods,
live runs as an iterator) and the `layerstack` command (layerstack/cli.py). Neither imports
TensorFlow nor the server's own code: a script or a CI job needs only httpx.

    from layerstack import Client
    ls = Client("http://127.0.0.1:8000")          # or LAYERSTACK_URL, LAYERSTACK_TOKEN
    run = ls.create_run(architecture=1, dataset=1, epochs=5)
    for event in ls.follow(run):
        print(event.kind, event.data)
"""

from layerstack.client import Client
from layerstack.errors import LayerstackError, Problem
from layerstack.events import Event

__all__ = ["Client", "Event", "LayerstackError", "Problem"]
