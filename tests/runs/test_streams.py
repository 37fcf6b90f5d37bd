"""Live event streams have a bound: MAX_STREAMS in all, MAX_STREAMS_PER_USER per user in
accounts mode; past either, a new stream is refused with 429 and Retry-After before it
starts, and a stream that ends gives its place back. A real server: TestClient reads a
streaming answer to its end before returning it."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

import httpx
import pytest

from app.errors import TooManyTries
from app.runs.streams import Streams
from tests.helpers import aio
from tests.helpers.accounts import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD
from tests.helpers.live_server import LiveServer
from tests.helpers.paths import REPO
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


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_open_streams_end_when_the_server_is_stopped(tmp_path, sig):
    """uvicorn waits for every answer to end before it stops: a tab watching a queued run
    (nothing will ever come) held the server up until the tab went away and a keep-alive
    noticed it, or for ever. Two streams, one still read, one left by its client."""
    server = LiveServer(tmp_path / "data", backend="sqlite").start()
    try:
        url = f"{server.url}/api/runs/{queued_run(server.url)}/events"
        with httpx.stream("GET", url, timeout=10) as left:
            assert next(left.iter_lines()).startswith("event: status")
        with httpx.stream("GET", url, timeout=10) as watched:
            lines = watched.iter_lines()
            assert next(lines).startswith("event: status")
            assert server.process is not None
            server.process.send_signal(sig)
            # The stream ends cleanly (no error), and the server shuts down in order by
            # itself, well before LiveServer.stop would kill it. (uvicorn raises a SIGTERM
            # again once it is done, as the process's exit status.)
            rest = list(lines)
            assert "event: done" not in rest  # the run did not end: the server did
            try:
                assert server.process.wait(timeout=10) in (0, -sig), server.log()[-2000:]
            except subprocess.TimeoutExpired:
                pytest.fail(f"the server is still up after {sig!r}:\n{server.log()[-2000:]}")
            assert "Application shutdown complete" in server.log()
    finally:
        server.stop()


def test_close_wakes_every_idle_stream_and_later_ones_do_not_wait():
    streams = Streams(most=10, most_per_user=None)

    async def wait_idle() -> bool:
        try:
            async with streams.idle(60):
                await asyncio.sleep(60)
        except TimeoutError:
            return True
        return False

    async def scenario() -> list[bool]:
        waiting = [asyncio.create_task(wait_idle()) for _ in range(3)]
        await asyncio.sleep(0.05)
        streams.close()
        ended = await asyncio.wait_for(asyncio.gather(*waiting), 5)
        return [*ended, await asyncio.wait_for(wait_idle(), 5)]

    assert aio.run(scenario()) == [True] * 4 and streams.closing


# In a process of its own: signal handlers are set from the main thread, where, after the
# browser tests, Playwright's event loop runs.
ON_EXIT = """
import asyncio, signal
from app.runs.streams import Streams, close_on_exit

streams, called = Streams(most=10, most_per_user=None), []
signal.signal(signal.SIGTERM, lambda sig, frame: called.append(sig))

async def scenario():
    restore = close_on_exit(streams)
    signal.raise_signal(signal.SIGTERM)
    await asyncio.sleep(0.05)  # the close is scheduled in the loop
    restore()

asyncio.run(scenario())
first = (streams.closing, list(called))
signal.raise_signal(signal.SIGTERM)  # put back: only the earlier handler runs now
print(first[0], len(first[1]), len(called))
"""


def test_close_on_exit_closes_then_calls_the_handler_that_was_there():
    done = subprocess.run([sys.executable, "-c", ON_EXIT], capture_output=True, text=True,
                          cwd=REPO, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "1", "2"]
