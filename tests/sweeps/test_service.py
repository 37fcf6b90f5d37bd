"""Sweeps over HTTP without a worker, on both databases: what is queued (one run per
combination, the combination applied to its snapshot, one seed), the list and the ranked
read, cancel and delete, the quotas and the queue counting every run (all or nothing), and
another user's sweep as a 404. Training for real: tests/sweeps/test_training.py."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.models import RunMetric
from app.runs import state
from tests.helpers.accounts import admin, member
from tests.helpers.stacks import mlp

GRID = {"compile.optimizer.learning_rate": [0.01, 0.001], "fit.batch_size": [32, 128],
        "layers[1].args.units": [16, 32]}  # fmt: skip


def body(grid=None, **extra):
    base = {"architecture": mlp([8, 8]), "dataset_id": 1, "fit": {"epochs": 2}}
    return {"base": base, "grid": grid or GRID, **extra}


def create(client, payload=None, headers=None):
    answer = client.post("/api/sweeps", json=payload or body(), headers=headers)
    assert answer.status_code == 202, answer.text
    return answer.json()


def test_one_run_is_queued_per_combination_with_it_applied(client):
    sweep = create(client)
    assert sweep["run_count"] == 8 and sweep["statuses"] == {"queued": 8} and sweep["active"]
    runs = client.get("/api/runs").json()["data"]
    assert len(runs) == 8 and {r["sweep_id"] for r in runs} == {sweep["id"]}
    seeds = {r["fit"]["seed"] for r in runs}
    assert len(seeds) == 1 and sweep["base"]["fit"]["seed"] in seeds  # one seed, recorded
    by_params = {tuple(r["sweep_params"].values()): r for r in runs}
    run = by_params[(0.001, 128, 16)]
    assert run["stack"]["compile"]["optimizer"] == {"name": "Adam", "learning_rate": 0.001}
    assert run["fit"]["batch_size"] == 128
    assert run["stack"]["layers"][1]["args"]["units"] == 16
    assert run["stack"]["layers"][2]["args"]["units"] == 10  # the rest as the base has it


def test_a_saved_architecture_stays_the_runs_architecture(client):
    architecture = client.post("/api/architectures", json=mlp([8, 8])).json()
    base = {"architecture_id": architecture["id"], "dataset_id": 1, "fit": {"epochs": 1, "seed": 3}}
    sweep = create(client, {"base": base, "grid": {"layers[1].args.units": [8, 24]}})
    runs = client.get(f"/api/runs?architecture_id={architecture['id']}").json()["data"]
    assert [r["stack"]["layers"][1]["args"]["units"] for r in reversed(runs)] == [8, 24]
    assert {r["fit"]["seed"] for r in runs} == {3} and sweep["name"] == "Sweep of MLP"
    saved = client.get(f"/api/architectures/{architecture['id']}").json()
    assert saved["layers"][1]["args"]["units"] == 64  # unchanged: no hidden variants
    assert client.get("/api/architectures").json()["count"] == 1


def test_a_grid_over_seeds_gives_each_run_its_own(client):
    create(client, body({"fit.seed": [1, 2, 3]}))
    assert sorted(r["fit"]["seed"] for r in client.get("/api/runs").json()["data"]) == [1, 2, 3]


def test_sweeps_are_listed_newest_first_and_paged(client):
    first = create(client, body(name="first"))
    second = create(client, body({"fit.batch_size": [8, 16]}))
    listed = client.get("/api/sweeps").json()
    assert listed["count"] == 2 and [s["id"] for s in listed["data"]] == [second["id"], first["id"]]
    assert listed["data"][1]["name"] == "first" and listed["data"][0]["run_count"] == 2
    page = client.get("/api/sweeps?offset=1&limit=1").json()
    assert page["count"] == 2 and [s["id"] for s in page["data"]] == [first["id"]]


@pytest.mark.both_databases
def test_runs_are_ranked_by_their_best_validation_value(client):
    sweep = create(client, body({"fit.batch_size": [8, 16, 32]}))
    ids = [r["id"] for r in sorted(sweep["runs"], key=lambda r: r["id"])]
    # val_accuracy per epoch: the second run peaks highest (at epoch 1), the third logs none
    logged = {ids[0]: [0.5, 0.7], ids[1]: [0.9, 0.8]}
    with Session(client.app.state.engine) as session:
        for run_id, values in logged.items():
            for epoch, value in enumerate(values, start=1):
                session.add(RunMetric(run_id=run_id, key="val_accuracy", step=epoch, value=value))
                session.add(RunMetric(run_id=run_id, key="val_loss", step=epoch, value=1 - value))
        session.commit()
    read = client.get(f"/api/sweeps/{sweep['id']}").json()
    assert read["metric"] == "val_accuracy" and read["higher_is_better"] is True
    assert read["best_run_id"] == ids[1] and read["best"] == 0.9
    assert [(r["id"], r["rank"], r["best"], r["best_epoch"]) for r in read["runs"]] == [
        (ids[1], 1, 0.9, 1), (ids[0], 2, 0.7, 2), (ids[2], None, None, None)]  # fmt: skip
    assert read["runs"][0]["params"] == {"fit.batch_size": 16}


@pytest.mark.both_databases
def test_cancel_cancels_every_going_run_and_only_those(client):
    sweep = create(client, body({"fit.batch_size": [8, 16, 32]}))
    ids = sorted(r["id"] for r in sweep["runs"])
    client.post(f"/api/runs/{ids[0]}/cancel")
    assert state.claim_next(client.app.state.engine, "test-worker") == ids[1]  # running now
    answer = client.post(f"/api/sweeps/{sweep['id']}/cancel")
    assert answer.status_code == 200, answer.text
    runs = {r["id"]: r for r in client.get("/api/runs").json()["data"]}
    assert runs[ids[2]]["status"] == "cancelled"  # queued: at once
    assert runs[ids[1]]["status"] == "running"  # asked to stop within a step
    with Session(client.app.state.engine) as session:
        assert state.cancel_requested(session.get_bind(), ids[1])
    again = client.post(f"/api/sweeps/{sweep['id']}/cancel")
    assert again.status_code == 409 and "no queued or running runs" in again.json()["detail"]


@pytest.mark.both_databases
def test_delete_deletes_the_sweep_and_its_runs_only(client):
    other = client.post("/api/runs", json=body()["base"]).json()
    sweep = create(client)
    assert client.delete(f"/api/sweeps/{sweep['id']}").status_code == 204
    assert client.get(f"/api/sweeps/{sweep['id']}").status_code == 404
    assert [r["id"] for r in client.get("/api/runs").json()["data"]] == [other["id"]]
    assert client.delete(f"/api/sweeps/{sweep['id']}").status_code == 404


def test_a_missing_sweep_is_404(client):
    for method, url in (("get", "/api/sweeps/9"), ("post", "/api/sweeps/9/cancel"),
                        ("delete", "/api/sweeps/9")):  # fmt: skip
        answer = client.request(method, url)
        assert answer.status_code == 404 and answer.json()["detail"] == "No sweep with id 9."


@pytest.mark.both_databases
def test_over_the_queue_nothing_is_saved(settings):
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(settings.model_copy(update={"max_queued_runs": 9}))) as client:
        create(client, body({"fit.batch_size": [8, 16]}))  # 2 queued
        answer = client.post("/api/sweeps", json=body())  # 8 more: 10 is over the 9
        assert answer.status_code == 429, answer.text
        assert "would queue 8 runs and the server has 2 waiting" in answer.json()["detail"]
        assert "its limit is 9 (MAX_QUEUED_RUNS)" in answer.json()["detail"]
        assert answer.headers["Retry-After"]
        assert client.get("/api/sweeps").json()["count"] == 1
        assert client.get("/api/runs").json()["count"] == 2
        create(client, body({"fit.batch_size": list(range(1, 8))}))  # exactly to the limit


@pytest.mark.both_databases
def test_every_run_counts_against_the_quota_of_active_runs(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com", quota_active_runs=5)
    answer = accounts.post("/api/sweeps", json=body(), headers=alice.headers)
    assert answer.status_code == 409, answer.text
    detail = answer.json()["detail"]
    assert "would queue 8 runs and you have 0 queued or running; your limit is 5" in detail
    assert "sample 5 or fewer with trials" in detail
    assert accounts.get("/api/runs", headers=alice.headers).json()["count"] == 0
    assert accounts.get("/api/sweeps", headers=alice.headers).json()["count"] == 0
    create(accounts, body(trials=5), headers=alice.headers)  # exactly to the quota
    answer = accounts.post("/api/runs", json=body()["base"], headers=alice.headers)
    assert answer.status_code == 409  # and a sweep's runs count as any other


def test_another_users_sweep_is_404_and_not_listed(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com")
    bob = member(accounts, boss, "bob@example.com")
    sweep = create(accounts, body({"fit.batch_size": [8, 16]}), headers=alice.headers)
    for method, url in (("get", f"/api/sweeps/{sweep['id']}"),
                        ("post", f"/api/sweeps/{sweep['id']}/cancel"),
                        ("delete", f"/api/sweeps/{sweep['id']}"),
                        ("get", f"/sweeps/{sweep['id']}")):  # fmt: skip
        assert accounts.request(method, url, headers=bob.headers).status_code == 404, url
    assert accounts.get("/api/sweeps", headers=bob.headers).json() == {"data": [], "count": 0}
    mine = accounts.get(f"/api/sweeps/{sweep['id']}", headers=alice.headers).json()
    assert mine["statuses"] == {"queued": 2}  # nothing was cancelled or deleted by bob
    everyone = accounts.get("/api/sweeps", headers=boss.headers).json()  # an admin sees all
    assert [s["id"] for s in everyone["data"]] == [sweep["id"]]


def test_the_runs_list_filters_by_sweep(client):
    other = client.post("/api/runs", json=body()["base"]).json()
    sweep = create(client, body({"fit.batch_size": [8, 16]}))
    ids = sorted(r["id"] for r in sweep["runs"])
    listed = client.get(f"/api/runs?sweep_id={sweep['id']}").json()
    assert listed["count"] == 2 and sorted(r["id"] for r in listed["data"]) == ids
    page = client.get(f"/runs?sweep_id={sweep['id']}").text
    assert all(f'id="run-row-{run_id}"' in page for run_id in ids)
    assert f'id="run-row-{other["id"]}"' not in page
    assert 'data-testid="filter-sweep"' in page and f"sweep #{sweep['id']}" in page
    assert 'data-testid="filter-sweep"' not in client.get("/runs").text
