"""Live event streams have a bound: MAX_STREAMS in all, MAX_STREAMS_PER_USER per user in
accounts mode; past either, a new stream is refused with 429 and Retry-After before it
starts, and a stream that ends gives its place back. A real server: TestClient reads a
streaming answer to its end before returning it."""

from __future__ import annotations

import httpx
import pytest

from app.errors import TooManyTries
from app.runs.streams import Streams
from tests.helpers.accounts import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD
from tests.helpers.live_server import LiveServer
from tests.helpers.stacks import mlp


def queued_run(url: str, headers: dict[str, str] | None = None) -> int:
    body = {"architecture": mlp([8, 8]), "dataset_id": 1}
    answer = httpx.post(f"{url}/api/runs", json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    return int(answer.json()["id"])


def token(url: str, email: str, password: str) -> dict[str, str]:
    with httpx.Client(base_url=url) as client:
        client.post("/api/session", json={"email": email, "password": password})
        made = client.post("/api/tokens", json={"name": "streams"}).json()
    return {"Authorization": f"Bearer {made['token']}"}


def test_past_max_streams_a_new_stream_is_429_until_one_ends(tmp_path, backend):
    server = LiveServer(tmp_path / "data", MAX_STREAMS="1").start()
    try:
        url = server.url
        run_id = queued_run(url)
        with httpx.stream("GET", f"{url}/api/runs/{run_id}/events", timeout=10) as first:
            assert first.status_code == 200
            lines = first.iter_lines()  # kept: a dropped iterator closes the connection
            assert next(lines).startswith("event: status")
            second = httpx.get(f"{url}/api/runs/{run_id}/events", timeout=10)
            assert second.status_code == 429 and second.headers["retry-after"] == "5"
            assert "MAX_STREAMS=1" in second.json()["detail"]
            assert httpx.get(f"{url}/runs/live?run={run_id}", timeout=10).status_code == 429
        httpx.post(f"{url}/api/runs/{run_id}/cancel")  # the next stream ends after its replay
        again = httpx.get(f"{url}/api/runs/{run_id}/events", timeout=10)
        assert again.status_code == 200 and "event: done" in again.text
    finally:
        server.stop()


def test_in_accounts_mode_each_user_has_a_share(tmp_path, backend):
    accounts = {"AUTH": "accounts", "ADMIN_EMAIL": ADMIN_EMAIL, "ADMIN_PASSWORD": ADMIN_PASSWORD}
    server = LiveServer(tmp_path / "data", MAX_STREAMS_PER_USER="1", **accounts).start()
    try:
        url = server.url
        boss = token(url, ADMIN_EMAIL, ADMIN_PASSWORD)
        made = httpx.post(f"{url}/api/users", headers=boss,
                          json={"email": "alice@example.com", "password": PASSWORD})  # fmt: skip
        assert made.status_code == 201, made.text
        alice = token(url, "alice@example.com", PASSWORD)
        mine, hers = queued_run(url, boss), queued_run(url, alice)
        events = f"{url}/api/runs/{mine}/events"
        with httpx.stream("GET", events, headers=boss, timeout=10) as first:
            assert first.status_code == 200
            lines = first.iter_lines()
            assert next(lines).startswith("event: status")
            refused = httpx.get(events, headers=boss, timeout=10)
            assert refused.status_code == 429
            assert "MAX_STREAMS_PER_USER=1" in refused.json()["detail"]
            httpx.post(f"{url}/api/runs/{hers}/cancel", headers=alice)
            theirs = httpx.get(f"{url}/api/runs/{hers}/events", headers=alice, timeout=10)
            assert theirs.status_code == 200  # another user's share is untouched
    finally:
        server.stop()


def test_streams_count_and_give_back_their_place():
    streams = Streams(most=2, most_per_user=None)
    with streams.holding(1), streams.holding(2), pytest.raises(TooManyTries):
        streams.check_room(3)
    assert streams.open == 0 and not streams.by_user
    streams.check_room(3)
