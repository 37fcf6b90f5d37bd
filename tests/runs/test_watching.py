"""What every live stream shares (app/runs/watching.py): a watch per run that exists, one
flag set by any of them, every subscription given back on exit, even when the body fails."""

from __future__ import annotations

import pytest

from app.runs import state
from app.runs.events import EventHub
from app.runs.watching import Watching
from tests.helpers import aio
from tests.helpers.web import queue_run


def test_watches_exist_for_live_runs_only_and_are_given_back_on_exit(client):
    engine = client.app.state.engine
    first, second = queue_run(client)["id"], queue_run(client)["id"]
    missing = second + 1000

    async def scenario() -> tuple[list[int], bool, dict]:
        hub = EventHub(engine, poll_s=60)
        try:
            with pytest.raises(RuntimeError):
                async with Watching(hub, [first, missing, second, first]) as watching:
                    ids = sorted(watching.watches)
                    assert state.claim_next(engine, "test") == first
                    hub.wake_soon(first)
                    await watching.wait()  # the one flag, set by a change of either run
                    raise RuntimeError("the connection went away")
            return ids, watching.flag.is_set(), dict(hub.watches)
        finally:
            await hub.stop()

    ids, woken, left = aio.run(scenario())
    assert ids == [first, second]  # the run that does not exist has no watch
    assert woken
    assert left == {}  # nothing keeps watching after the stream ends
