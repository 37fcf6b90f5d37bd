"""The session's shared training servers (`trainer`, `postgres_trainer`) stay idle between
tests: a run a test leaves queued or running (it asserted and stopped, or forgot its cancel)
would otherwise hold the single worker and make the next test wait behind it for minutes
(CI once spent 93 s so). After each test that used one, its queued and running runs are
cancelled and waited for; the tests that had left some are listed at the end of the session."""

from __future__ import annotations

import time

import httpx

from tests.helpers.live_server import LiveServer

NAMES = {"trainer", "postgres_trainer", "each_trainer"}
started: list[LiveServer] = []
left_behind: list[str] = []  # "test id: run 12 (running)", for the terminal summary


def unfinished(server: LiveServer) -> list[dict]:
    runs = []
    for status in ("running", "queued"):
        answer = httpx.get(f"{server.url}/api/runs", params={"status": status, "limit": 500})
        runs += answer.json()["data"]
    return runs


def settle(test_id: str, timeout: float = 60) -> None:
    """Cancel what `test_id` left on the shared servers and wait until they are idle."""
    for server in started:
        for run in unfinished(server):
            answer = httpx.post(f"{server.url}/api/runs/{run['id']}/cancel")
            if answer.status_code < 300:  # 409 when the test had already asked
                left_behind.append(f"{test_id}: run {run['id']} ({run['status']})")
        deadline = time.monotonic() + timeout
        while unfinished(server) and time.monotonic() < deadline:
            time.sleep(0.1)
