"""A tutorial dataset added through one web process is seen, with its progress, through the
others (WEB_WORKERS > 1 serves each request from any of them), and a click there joins it
rather than downloading again (app/datasets/catalog_rows.py). Two apps on one database and
DATA_DIR stand for two web processes; a live server with two web workers is
tests/executors/test_web_processes.py's kind of test, done here end to end too."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.datasets import catalog_rows
from app.db import make_engine
from app.main import create_app
from app.models import CatalogJob, utcnow
from tests.helpers.catalog_files import Mirror, make_mirror, serving
from tests.helpers.live_server import LiveServer

pytestmark = pytest.mark.both_databases

T10K = "digits_t10k"


@pytest.fixture
def mirror(tmp_path: Path) -> Mirror:
    return make_mirror(tmp_path / "files")


def app_for(settings: Settings, mirror: Mirror, url: str) -> TestClient:
    changed = {"datasets_mirror": url, "datasets_extra_catalog": mirror.catalog}
    return TestClient(create_app(settings.model_copy(update=changed)))


def item(client: TestClient | httpx.Client, name: str = T10K) -> dict:
    answer = client.get("/api/datasets/catalog")
    assert answer.status_code == 200, answer.text
    return next(i for i in answer.json()["data"] if i["name"] == name)


def test_another_process_shows_the_progress_and_a_click_there_joins(
    settings: Settings, mirror: Mirror
) -> None:
    hits: dict[str, int] = {}
    with (
        serving(mirror.folder, hits, pause_s=0.05) as url,  # ~3 s of downloading
        app_for(settings, mirror, url) as first,
        app_for(settings, mirror, url) as second,
    ):
        started = first.post("/api/datasets/catalog", json={"name": T10K})
        assert started.status_code == 202, started.text
        seen = []
        while (there := item(second))["state"] == "adding" or not seen:
            seen.append(there)
            if len(seen) == 3:  # the other process's click: no second download
                joined = second.post("/api/datasets/catalog", json={"name": T10K})
                assert joined.status_code == 202 and joined.json()["state"] == "adding"
            time.sleep(0.2)
        assert {s["state"] for s in seen} == {"adding"}, seen
        assert any(s["stage"] == "downloading" and s["bytes_done"] > 0 for s in seen), seen
        done = item(first)
        assert there["state"] == done["state"] == "present", there
        assert there["dataset_id"] == done["dataset_id"]
        assert set(hits.values()) == {1}, hits  # each file was downloaded once
        assert second.get("/api/datasets").json()["count"] == 2  # digits and t10k


def test_waiting_through_another_process_returns_the_dataset(
    settings: Settings, mirror: Mirror
) -> None:
    with (
        serving(mirror.folder, pause_s=0.02) as url,
        app_for(settings, mirror, url) as first,
        app_for(settings, mirror, url) as second,
    ):
        assert first.post("/api/datasets/catalog", json={"name": T10K}).status_code == 202
        waited = second.post("/api/datasets/catalog", json={"name": T10K, "wait": True})
        assert waited.status_code == 200, waited.text
        assert waited.json()["state"] == "present" and waited.json()["dataset_id"]


def test_an_addition_whose_process_went_away_reads_failed_and_can_be_made_again(
    settings: Settings, mirror: Mirror
) -> None:
    with serving(mirror.folder) as url, app_for(settings, mirror, url) as client:
        engine = make_engine(settings.db_url)
        gone = utcnow() - timedelta(seconds=catalog_rows.STALE_S + 5)
        with Session(engine) as session:  # a process that died mid-download
            session.add(CatalogJob(owner_id=1, name=T10K, stage="downloading", bytes_done=99,
                                   process="elsewhere:1:dead", heartbeat_at=gone))  # fmt: skip
            session.commit()
        engine.dispose()
        stale = item(client)
        assert stale["state"] == "failed" and stale["error_status"] == 503
        assert "stopped before it finished" in stale["error"]
        again = client.post("/api/datasets/catalog", json={"name": T10K, "wait": True})
        assert again.status_code == 200, again.text
        assert item(client)["state"] == "present"


def test_a_failure_in_one_process_is_said_in_the_other(settings: Settings, mirror: Mirror) -> None:
    (mirror.folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not the real file")
    with (
        serving(mirror.folder) as url,
        app_for(settings, mirror, url) as first,
        app_for(settings, mirror, url) as second,
    ):
        failed = first.post("/api/datasets/catalog", json={"name": T10K, "wait": True})
        assert failed.status_code == 502, failed.text
        there = item(second)
        assert there["state"] == "failed" and there["error_status"] == 502
        assert there["error"] == failed.json()["detail"]


def test_a_retry_through_another_process_is_seen_where_the_first_try_failed(
    settings: Settings, mirror: Mirror
) -> None:
    labels = mirror.folder / "t10k-labels-idx1-ubyte.gz"
    good = labels.read_bytes()
    labels.write_bytes(b"not the real file")
    with (
        serving(mirror.folder, pause_s=0.05) as url,
        app_for(settings, mirror, url) as first,
        app_for(settings, mirror, url) as second,
    ):
        body = {"name": T10K}
        assert first.post("/api/datasets/catalog", json={**body, "wait": True}).status_code == 502
        labels.write_bytes(good)  # the mirror is mended; the learner clicks again, elsewhere
        assert second.post("/api/datasets/catalog", json=body).status_code == 202
        assert item(first)["state"] == "adding"  # not the failure it saw itself
        deadline = time.monotonic() + 60
        while (there := item(first))["state"] == "adding" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert there["state"] == "present" and there["error"] is None, there


def test_two_web_workers_show_one_addition(tmp_path: Path, mirror: Mirror) -> None:
    hits: dict[str, int] = {}
    with serving(mirror.folder, hits, pause_s=0.05) as url:
        env = {"DATASETS_MIRROR": url, "DATASETS_EXTRA_CATALOG": str(mirror.catalog)}
        live = LiveServer(tmp_path / "data", backend="sqlite", WEB_WORKERS="2", **env).start()
        try:
            states = []
            # A new connection each time, so either web process may answer (as tabs do).
            assert httpx.post(f"{live.url}/api/datasets/catalog",
                              json={"name": T10K}).status_code == 202  # fmt: skip
            for _ in range(300):
                with httpx.Client(base_url=live.url) as client:
                    states.append(item(client)["state"])
                    if states[-1] != "adding":
                        break
                    if len(states) % 4 == 0:  # clicks again, wherever they land
                        client.post("/api/datasets/catalog", json={"name": T10K})
                time.sleep(0.1)
            assert states[-1] == "present" and set(states[:-1]) == {"adding"}, states
            assert set(hits.values()) == {1}, hits
        finally:
            live.stop()
