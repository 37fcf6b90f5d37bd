"""Run budgets (issue 12): MAX_EPOCHS bounds the epochs one run may ask for (422 naming
fit.epochs, what was asked, the limit and the setting), and MAX_QUEUED_RUNS the runs waiting
in the queue, all users together (429 with Retry-After). Either refusal saves nothing, in
AUTH=none as in accounts mode, for a new run as for a resumed one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.helpers.accounts import accounts_settings, admin, member
from tests.helpers.stacks import mlp

pytestmark = pytest.mark.both_databases

# No workers: every run stays queued, so the queue fills as the test wants.
SMALL = {"workers": 0, "predictors": 0, "max_epochs": 5, "max_queued_runs": 2}


def body(epochs: int = 1) -> dict:
    return {"architecture": mlp([8, 8]), "dataset_id": 1, "fit": {"epochs": epochs}}


@pytest.fixture
def small(tmp_path, backend):
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", **SMALL))) as client:
        yield client


def runs_saved(client: TestClient, **headers: str) -> int:
    return client.get("/api/runs", headers=headers).json()["count"]


def test_more_epochs_than_max_epochs_is_422_naming_the_field_and_the_setting(small):
    assert small.post("/api/runs", json=body(epochs=5)).status_code == 202  # the limit itself
    for asked in (6, 10_000, 2**40):
        answer = small.post("/api/runs", json=body(epochs=asked))
        assert answer.status_code == 422, asked
        [problem] = answer.json()["detail"]
        assert problem["loc"] == ["body", "fit", "epochs"]
        assert problem["input"] == asked
        msg = problem["msg"]
        assert f"fit.epochs: {asked} asked for" in msg and "at most 5" in msg
        assert "MAX_EPOCHS" in msg and "5 or fewer" in msg
    assert runs_saved(small) == 1


def test_past_max_queued_runs_a_new_run_is_429_with_retry_after_and_nothing_saved(small):
    for _ in range(2):
        assert small.post("/api/runs", json=body()).status_code == 202
    refused = small.post("/api/runs", json=body())
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    detail = refused.json()["detail"]
    assert "2 runs waiting" in detail and "MAX_QUEUED_RUNS=2" in detail
    assert "Nothing was saved" in detail
    assert runs_saved(small) == 2

    # A run that leaves the queue makes room for one more.
    first = small.get("/api/runs").json()["data"][-1]["id"]
    assert small.post(f"/api/runs/{first}/cancel").status_code == 200
    assert small.post("/api/runs", json=body()).status_code == 202
    # ...and resuming a cancelled run queues it again, so it is refused while the queue is full.
    resumed = small.post(f"/api/runs/{first}/resume")
    assert resumed.status_code == 429 and "MAX_QUEUED_RUNS" in resumed.json()["detail"]
    assert small.get(f"/api/runs/{first}").json()["status"] == "cancelled"


def test_the_queue_is_shared_by_every_user(tmp_path, backend):
    settings = accounts_settings(tmp_path / "data", max_queued_runs=2)
    with TestClient(create_app(settings)) as client:
        boss = admin(client)
        alice = member(client, boss, "alice@example.com")
        bob = member(client, boss, "bob@example.com")
        for who in (alice, bob):
            answer = client.post("/api/runs", json=body(), headers=who.headers)
            assert answer.status_code == 202, answer.text
        refused = client.post("/api/runs", json=body(), headers=boss.headers)
        assert refused.status_code == 429 and "Retry-After" in refused.headers
        assert runs_saved(client, **boss.headers) == 2


def test_429_is_in_the_openapi_document_of_the_routes_that_queue_runs(small):
    paths = small.get("/openapi.json").json()["paths"]
    for path in ("/api/runs", "/api/runs/{run_id}/resume"):
        assert "429" in paths[path]["post"]["responses"], path
    epochs = small.get("/openapi.json").json()["components"]["schemas"]["FitSettings"]
    assert "MAX_EPOCHS" in epochs["properties"]["epochs"]["description"]
