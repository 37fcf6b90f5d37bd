"""Work slots: at most MAX_IMPORTS dataset imports and .npz exports at once; the next one
waits briefly, then gets 503 with Retry-After naming the setting, and nothing is saved."""

from __future__ import annotations

import threading
from collections.abc import Iterator
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

    def hold() -> None:
        with slots.hold("import"):
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(5)
    threading.Timer(0.1, release.set).start()
    with slots.hold("import"):  # waits ~0.1 s, not 5
        pass
    thread.join(5)


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
