"""Runs on a live server, as a script would drive them: submit, wait, watch the first epoch."""

from __future__ import annotations

import time

import httpx

from tests.helpers.live_server import LiveServer
from tests.helpers.sse import events
from tests.helpers.stacks import mlp

WAIT_S = 120  # the first run also waits for the worker to import TensorFlow


def submit(server: LiveServer, stack=None, **fit) -> dict:
    """POST /api/runs (digits and an MLP unless told otherwise); the 202 answer's run."""
    body = {
        "architecture": stack or mlp([8, 8]),
        "dataset_id": fit.pop("dataset_id", 1),
        "fit": {"seed": 1, **fit},
    }
    response = httpx.post(f"{server.url}/api/runs", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def wait_for(server: LiveServer, run_id: int, done: tuple = ("completed", "failed",
             "cancelled", "interrupted"), timeout: float = WAIT_S) -> dict:  # fmt: skip
    """The run once its status is one of `done`, polled every 0.1 s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = httpx.get(f"{server.url}/api/runs/{run_id}").json()
        if run["status"] in done:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} still {run['status']} after {timeout} s")


def first_epoch(server: LiveServer, run_id: int) -> None:
    """Return once the run's event stream has delivered an epoch (so it is really training)."""
    for event in events(f"{server.url}/api/runs/{run_id}/events", timeout=WAIT_S):
        if event.event == "epoch":
            return
    raise AssertionError("the stream ended before any epoch")
