"""Work slots: at most MAX_IMPORTS dataset imports and .npz exports at once; the next one
waits briefly, then gets 503 with Retry-After naming the setting, and nothing is saved."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.errors import Unavailable
from app.main import create_app
from app.slots import Slots
from tests.helpers.uploads import class_zip, post


def test_a_free_slot_is_taken_and_given_back() -> None:
    slots = Slots(1, "MAX_IMPORTS", wait_s=0.05)
    with slots.hold("import"), pytest.raises(Unavailable) as refused, slots.hold("export"):
        pass
    assert refused.value.headers == {"Retry-After": "5"}
    assert "MAX_IMPORTS=1" in refused.value.message and "this export" in refused.value.message
    with slots.hold("import"):  # given back, even though the inner block failed
        pass


def test_a_waiting_request_gets_the_slot_when_it_frees_in_time() -> None:
    slots = Slots(1, "MAX_IMPORTS", wait_s=5)
    holding, release = threading.Event(), threading.Event()
    released_at: list[float] = []

    def hold() -> None:
        with slots.hold("import"):
            holding.set()
            release.wait(10)
            released_at.append(time.monotonic())  # the slot is given back just after this

    def wait_for_the_slot() -> float:
        with slots.hold("export"):
            return time.monotonic()

    with ThreadPoolExecutor(2) as pool:
        holder = pool.submit(hold)
        assert holding.wait(5)
        waiter = pool.submit(wait_for_the_slot)
        with pytest.raises(FutureTimeout):  # the slot is held: the waiter waits for it
            waiter.result(timeout=0.2)
        release.set()
        got_at = waiter.result(timeout=10)  # Unavailable, raised here, if it gave up
        holder.result(timeout=10)
    # It got the slot because the slot was given back, not when its own 5 s ran out (a
    # waiter that only looked again at the end of wait_s would get it ~4.8 s after).
    assert released_at[0] <= got_at < released_at[0] + slots.wait_s / 2


@pytest.fixture
def busy(tmp_path: Path, backend) -> Iterator[TestClient]:
    """A server whose one import slot is held (as by a long import)."""
    settings = Settings(data_dir=tmp_path / "data", workers=0, predictors=0, max_imports=1)
    with TestClient(create_app(settings)) as client:
        client.app.state.import_slots = Slots(1, "MAX_IMPORTS", wait_s=0.05)
        with client.app.state.import_slots.hold("import"):
            yield client


def test_an_import_past_max_imports_is_503_and_saves_nothing(busy: TestClient) -> None:
    answer = post(busy, [("classes.zip", class_zip())])
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"
    assert "MAX_IMPORTS=1" in answer.json()["detail"]
    assert busy.get("/api/datasets").json()["count"] == 1  # the built-in digits only


def test_an_export_past_max_imports_is_503(busy: TestClient) -> None:
    answer = busy.get("/api/datasets/1/export.npz")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"


def test_slots_are_free_again_after_an_import(tmp_path: Path, backend) -> None:
    settings = Settings(data_dir=tmp_path / "data", workers=0, predictors=0, max_imports=1)
    with TestClient(create_app(settings)) as client:
        for _ in range(2):
            assert post(client, [("classes.zip", class_zip())]).status_code == 201
        assert post(client, [("bad.zip", b"not a zip")]).status_code == 415
        assert client.get("/api/datasets/1/export.npz").status_code == 200
