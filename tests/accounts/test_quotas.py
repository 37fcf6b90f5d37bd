"""Fair use: quotas on active runs, datasets and storage (409/413 with what is used and the
limit), usage in GET /api/me, and a queue that takes users in turn."""

from __future__ import annotations

import pytest

from app.models import RunStatus
from app.runs import state
from tests.helpers.accounts import admin, member, small_npz, upload
from tests.helpers.stacks import mlp

pytestmark = pytest.mark.both_databases


def run_body(dataset_id: int = 1) -> dict:
    return {"architecture": mlp([8, 8]), "dataset_id": dataset_id, "fit": {"epochs": 1}}


def test_active_runs_over_the_quota_are_refused_with_the_numbers(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com", quota_active_runs=2)
    for _ in range(2):
        assert accounts.post("/api/runs", json=run_body(), headers=alice.headers).status_code == 202
    third = accounts.post("/api/runs", json=run_body(), headers=alice.headers)
    assert third.status_code == 409
    assert "You have 2 runs queued or running; your limit is 2" in third.json()["detail"]
    assert accounts.get("/api/runs", headers=alice.headers).json()["count"] == 2  # none half-made
    first = accounts.get("/api/runs", headers=alice.headers).json()["data"][-1]["id"]
    accounts.post(f"/api/runs/{first}/cancel", headers=alice.headers)
    assert accounts.post("/api/runs", json=run_body(), headers=alice.headers).status_code == 202
    # Resuming counts too.
    assert accounts.post(f"/api/runs/{first}/resume", headers=alice.headers).status_code == 409


def test_datasets_over_the_quota_are_refused(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com", quota_datasets=1)
    upload(accounts, alice)
    files = [("files", ("data.npz", b"whatever"))]
    second = accounts.post("/api/datasets", data={"name": "2"}, files=files, headers=alice.headers)
    assert second.status_code == 409 and "your limit is 1" in second.json()["detail"]


def test_storage_over_the_quota_is_413_and_nothing_is_kept(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com", quota_storage_bytes=100)
    files = [("files", ("data.npz", small_npz()))]
    answer = accounts.post(
        "/api/datasets", data={"name": "big"}, files=files, headers=alice.headers
    )
    assert answer.status_code == 413
    assert "your storage limit is 100 bytes" in answer.json()["detail"]
    me = accounts.get("/api/me", headers=alice.headers).json()
    assert me["usage"] == {"active_runs": 0, "storage_bytes": 0, "datasets": 0}
    assert me["quotas"]["storage_bytes"] == 100


def test_me_shows_usage(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com")
    dataset = upload(accounts, alice)
    accounts.post("/api/runs", json=run_body(), headers=alice.headers)
    usage = accounts.get("/api/me", headers=alice.headers).json()["usage"]
    assert usage == {"active_runs": 1, "storage_bytes": dataset["size_bytes"], "datasets": 1}
    assert dataset["size_bytes"] > 0


def test_the_queue_takes_users_in_turn(accounts):
    """User A queues 5 runs, then user B 1: B's run starts before A's third."""
    boss = admin(accounts)
    a = member(accounts, boss, "a@example.com")
    b = member(accounts, boss, "b@example.com")
    ids = {}
    for who, count in ((a, 5), (b, 1)):
        for _ in range(count):
            run = accounts.post("/api/runs", json=run_body(), headers=who.headers).json()
            ids[run["id"]] = who.email
    engine = accounts.app.state.engine
    started = []
    while (run_id := state.claim_next(engine, "worker-test")) is not None:  # one worker
        started.append(ids[run_id])
        state.finish(engine, run_id, RunStatus.COMPLETED)
    assert started.index("b@example.com") < [i for i, e in enumerate(started)
                                             if e == "a@example.com"][2]  # fmt: skip
    assert started == ["a@example.com", "b@example.com", *["a@example.com"] * 4]


def test_quotas_do_not_limit_a_laptop(client):
    for _ in range(8):  # more than QUOTA_ACTIVE_RUNS: AUTH=none is one person's own machine
        assert client.post("/api/runs", json=run_body()).status_code == 202


def test_a_new_export_over_the_storage_quota_is_413_before_any_conversion(accounts, tmp_path):
    """A built export stays on disk and counts in the run's size; a user already over their
    storage quota gets no new one (the cached formats, and .keras, are still theirs)."""
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com", quota_storage_bytes=100)
    run_id = accounts.post("/api/runs", json=run_body(), headers=alice.headers).json()["id"]
    engine = accounts.app.state.engine  # type: ignore[attr-defined]
    state.finish(engine, run_id, RunStatus.COMPLETED, size_bytes=500)  # trained, 500 bytes
    paths = accounts.app.state.settings.paths  # type: ignore[attr-defined]
    paths.model(run_id).parent.mkdir(parents=True, exist_ok=True)
    paths.model(run_id).write_bytes(b"PK" + bytes(498))
    url = f"/api/runs/{run_id}/export"
    refused = accounts.get(url, params={"format": "onnx"}, headers=alice.headers)
    assert refused.status_code == 413, refused.text
    assert "your storage limit is 100 bytes" in refused.json()["detail"]
    assert not (paths.run(run_id) / "exports").exists()  # nothing was converted
    kept = accounts.get(url, params={"format": "keras"}, headers=alice.headers)
    assert kept.status_code == 200 and kept.content[:2] == b"PK"
