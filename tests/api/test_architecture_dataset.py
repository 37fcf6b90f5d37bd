"""The dataset a stack is built against is saved with it (architecture.dataset_id): POST and
PUT take it, GET gives it back, PUT without it clears it, an unknown dataset is a 404 and saves
nothing, and deleting the dataset forgets it (NULL), not the stack. On both databases."""

from __future__ import annotations

import pytest

from tests.helpers.accounts import small_npz
from tests.helpers.stacks import mlp
from tests.helpers.uploads import post


def test_the_dataset_is_saved_read_and_replaced_with_the_stack(client):
    created = client.post("/api/architectures", json={**mlp([8, 8]), "dataset_id": 1})
    assert created.status_code == 201, created.text
    arch = created.json()
    assert arch["dataset_id"] == 1
    assert client.get(f"/api/architectures/{arch['id']}").json()["dataset_id"] == 1
    assert client.get("/api/architectures").json()["data"][0]["dataset_id"] == 1

    # PUT replaces the whole architecture: without dataset_id, it is built against none.
    cleared = client.put(f"/api/architectures/{arch['id']}", json=mlp([8, 8]))
    assert cleared.status_code == 200 and cleared.json()["dataset_id"] is None
    again = client.put(f"/api/architectures/{arch['id']}", json={**mlp([8, 8]), "dataset_id": 1})
    assert again.json()["dataset_id"] == 1


def test_a_stack_without_a_dataset_has_none(client):
    assert client.post("/api/architectures", json=mlp()).json()["dataset_id"] is None


def test_an_unknown_dataset_is_404_and_nothing_is_saved(client):
    answer = client.post("/api/architectures", json={**mlp([8, 8]), "dataset_id": 999})
    assert answer.status_code == 404
    assert answer.json()["detail"] == "No dataset with id 999."
    assert client.get("/api/architectures").json()["count"] == 0

    arch = client.post("/api/architectures", json={**mlp([8, 8]), "dataset_id": 1}).json()
    put = client.put(f"/api/architectures/{arch['id']}", json={**mlp([4, 4]), "dataset_id": 999})
    assert put.status_code == 404
    kept = client.get(f"/api/architectures/{arch['id']}").json()
    assert kept["dataset_id"] == 1 and kept["input_shape"] == [8, 8] and kept["version"] == 1


def test_a_bad_dataset_id_is_422_naming_it(client):
    answer = client.post("/api/architectures", json={**mlp(), "dataset_id": 0})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "dataset_id"]


@pytest.mark.both_databases
def test_deleting_the_dataset_forgets_it_and_keeps_the_stack(client):
    uploaded = post(client, [("data.npz", small_npz())])
    assert uploaded.status_code == 201, uploaded.text
    dataset_id = uploaded.json()["id"]
    arch = client.post("/api/architectures", json={**mlp([4, 4]), "dataset_id": dataset_id})
    assert arch.json()["dataset_id"] == dataset_id
    assert client.delete(f"/api/datasets/{dataset_id}").status_code == 204
    kept = client.get(f"/api/architectures/{arch.json()['id']}")
    assert kept.status_code == 200 and kept.json()["dataset_id"] is None
