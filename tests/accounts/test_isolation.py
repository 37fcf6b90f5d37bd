"""Another user's object is a 404 everywhere: every API route that names an object (read
from the OpenAPI description, so a new route joins this test by itself), the pages, the
lists and their filters, the event streams. An admin sees everyone's work."""

from __future__ import annotations

import re

import pytest

from tests.helpers.accounts import admin, member, objects
from tests.helpers.stacks import mlp

# Routes a member may not use at all: 403, whoever the object belongs to.
ADMIN_ONLY = {"/api/users/{user_id}"}
BODIES = {"put": {}, "patch": {}, "post": None}  # a body that passes validation, if any


@pytest.fixture
def world(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com")
    bob = member(accounts, boss, "bob@example.com")
    return accounts, boss, alice, bob, objects(accounts, alice)


def test_every_api_route_that_names_an_object_answers_404_to_another_user(world):
    client, _, alice, bob, owned = world
    checked = 0
    for path, operations in client.app.openapi()["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        if not names:
            continue
        missing = [n for n in names if n not in owned]
        assert not missing, f"{path}: add an object for {missing} to tests/helpers/accounts.py"
        url = path.format(**owned)
        for method in operations:
            body = BODIES.get(method)
            answer = client.request(method, url, json=body, headers=bob.headers)
            expected = 403 if path in ADMIN_ONLY else 404
            assert answer.status_code == expected, f"{method.upper()} {url}: {answer.text}"
            checked += 1
    assert checked >= 20
    # ...and nothing was changed or lost for the owner.
    for name, url in (("architecture_id", "/api/architectures/{}"), ("dataset_id",
                      "/api/datasets/{}"), ("run_id", "/api/runs/{}")):  # fmt: skip
        assert client.get(url.format(owned[name]), headers=alice.headers).status_code == 200
    tokens = client.get("/api/tokens", headers=alice.headers).json()
    assert owned["token_id"] in [t["id"] for t in tokens["data"]]


def test_pages_and_streams_answer_404_to_another_user(world):
    client, _, alice, bob, owned = world
    run, dataset = owned["run_id"], owned["dataset_id"]
    for method, url in (("get", f"/runs/{run}"), ("get", f"/datasets/{dataset}"),
                        ("get", f"/datasets/{dataset}/samples"), ("delete", f"/runs/{run}"),
                        ("delete", f"/datasets/{dataset}")):  # fmt: skip
        answer = client.request(method, url, headers=bob.headers)
        assert answer.status_code == 404, f"{method} {url}"
        assert client.get(url, headers=alice.headers).status_code == 200, url  # still there
    live = client.get(f"/runs/live?run={run}", headers=bob.headers)
    assert f"run-{run}" not in live.text  # no row of hers, only the end of the stream


def test_lists_and_filters_show_only_your_own_work(world):
    client, _, alice, bob, owned = world
    # Hers: one of each, and the runs are her run and her sweep's two.
    owns = {"/api/architectures": 1, "/api/runs": 3, "/api/sweeps": 1}
    for path in ("/api/architectures", "/api/runs", f"/api/runs?dataset_id={owned['dataset_id']}",
                 f"/api/runs?architecture_id={owned['architecture_id']}",
                 f"/api/runs?sweep_id={owned['sweep_id']}", "/api/sweeps"):  # fmt: skip
        assert client.get(path, headers=bob.headers).json() == {"data": [], "count": 0}, path
        listed = path.split("?")[0]
        assert client.get(listed, headers=alice.headers).json()["count"] == owns[listed]
    datasets = client.get("/api/datasets", headers=bob.headers).json()
    assert [d["builtin"] for d in datasets["data"]] == ["digits"]  # readable by all, owned by none
    assert datasets["data"][0]["owner_id"] is None
    runs_page = client.get("/runs", headers=bob.headers).text
    assert f"run-row-{owned['run_id']}" not in runs_page


def test_a_run_of_someone_elses_architecture_or_dataset_is_impossible(world):
    client, _, _, bob, owned = world
    theirs = {"architecture_id": owned["architecture_id"], "dataset_id": 1}
    assert client.post("/api/runs", json=theirs, headers=bob.headers).status_code == 404
    body = {"architecture": {"input_shape": [4, 4], "layers": [{"type": "Flatten"}]},
            "dataset_id": owned["dataset_id"]}  # fmt: skip
    assert client.post("/api/runs", json=body, headers=bob.headers).status_code == 404


def test_the_built_in_dataset_is_for_everyone_to_read_and_no_one_to_delete(world):
    client, _, _, bob, _ = world
    assert client.get("/api/datasets/1", headers=bob.headers).status_code == 200
    assert client.get("/api/datasets/1/samples?n=2", headers=bob.headers).status_code == 200
    assert client.delete("/api/datasets/1", headers=bob.headers).status_code == 409


def test_an_admin_sees_and_manages_everyones_work(world):
    client, boss, alice, _, owned = world
    runs = client.get("/api/runs", headers=boss.headers).json()
    assert {r["owner_id"] for r in runs["data"]} == {alice.id}  # her run and her sweep's
    assert client.get(f"/runs/{owned['run_id']}", headers=boss.headers).status_code == 200
    cancel = client.post(f"/api/runs/{owned['run_id']}/cancel", headers=boss.headers)
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    # Tokens are personal even for an admin.
    token = client.delete(f"/api/tokens/{owned['token_id']}", headers=boss.headers)
    assert token.status_code == 404


def test_a_member_cannot_manage_users(world):
    client, _, alice, _, _ = world
    assert client.get("/api/users", headers=alice.headers).status_code == 403
    made = client.post("/api/users", headers=alice.headers,
                       json={"email": "eve@x.org", "password": "eve-password-1"})  # fmt: skip
    assert made.status_code == 403


def test_a_summary_against_another_users_dataset_is_404(world):
    """POST /api/summary?dataset_id= names the dataset in its query, not its path."""
    client, _, alice, bob, owned = world
    url = f"/api/summary?dataset_id={owned['dataset_id']}"
    assert client.post(url, json=mlp([8, 8]), headers=alice.headers).status_code == 200
    answer = client.post(url, json=mlp([8, 8]), headers=bob.headers)
    assert answer.status_code == 404, answer.text


def test_an_architecture_built_against_another_users_dataset_is_404(world):
    """POST and PUT /api/architectures name the dataset in their body, not their path."""
    client, _, alice, bob, owned = world
    body = {**mlp([4, 4]), "dataset_id": owned["dataset_id"]}
    mine = client.post("/api/architectures", json=body, headers=alice.headers)
    assert mine.status_code == 201 and mine.json()["dataset_id"] == owned["dataset_id"]
    assert client.post("/api/architectures", json=body, headers=bob.headers).status_code == 404
    his = client.post("/api/architectures", json=mlp([4, 4]), headers=bob.headers).json()
    answer = client.put(f"/api/architectures/{his['id']}", json=body, headers=bob.headers)
    assert answer.status_code == 404, answer.text
    assert answer.json()["detail"] == f"No dataset with id {owned['dataset_id']}."
    assert client.get(f"/api/architectures/{his['id']}", headers=bob.headers).json()["version"] == 1
