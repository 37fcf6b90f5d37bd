"""Saved architectures: CRUD, normalized storage, summaries, survival across restarts."""

from fastapi.testclient import TestClient

from app.main import create_app
from tests.helpers.stacks import SEED_CNN, mlp


def test_create_read_update_delete(client):
    created = client.post("/api/architectures", json=SEED_CNN)
    assert created.status_code == 201
    arch = created.json()
    assert arch["name"] == "Tutorial CNN" and arch["input_shape"] == [32, 32, 3]
    # Aliases are stored under the catalog's name; arguments as given, defaults left out.
    assert arch["layers"][1] == {"type": "MaxPooling2D", "args": {"pool_size": [3, 3]}}
    assert arch["created_at"].endswith("Z")  # UTC, although SQLite keeps no zone
    assert client.get(f"/api/architectures/{arch['id']}").json() == arch

    updated = client.put(f"/api/architectures/{arch['id']}", json=mlp())
    assert updated.status_code == 200
    assert updated.json()["name"] == "MLP" and updated.json()["created_at"] == arch["created_at"]
    assert updated.json()["updated_at"] > arch["updated_at"]
    summary = client.get(f"/api/architectures/{arch['id']}/summary").json()
    assert summary["total_params"] == 4810

    assert client.delete(f"/api/architectures/{arch['id']}").status_code == 204
    assert client.get(f"/api/architectures/{arch['id']}").status_code == 404
    assert client.get("/api/architectures").json() == {"data": [], "count": 0}


def test_input_shape_from_the_first_layer_is_stored_on_the_stack(client):
    body = {"name": "t", "layers": [{"type": "Dense", "args": {"units": 4, "input_shape": [32]}}]}
    arch = client.post("/api/architectures", json=body).json()
    assert arch["input_shape"] == [32]
    assert arch["layers"] == [{"type": "Dense", "args": {"units": 4}}]
    assert arch["compile"] == {"optimizer": "rmsprop", "loss": None, "metrics": []}


def test_saved_summary_matches_the_tutorial(client):
    arch = client.post("/api/architectures", json=SEED_CNN).json()
    summary = client.get(f"/api/architectures/{arch['id']}/summary").json()
    assert summary["total_params"] == 103562


def test_list_newest_first_with_count(client):
    for name in ("a", "b", "c"):
        client.post("/api/architectures", json={**mlp(), "name": name})
    listing = client.get("/api/architectures", params={"limit": 2}).json()
    assert listing["count"] == 3
    assert [a["name"] for a in listing["data"]] == ["c", "b"]


def test_unknown_id_is_404_with_the_id(client):
    for response in (
        client.get("/api/architectures/999"),
        client.put("/api/architectures/999", json=mlp()),
        client.delete("/api/architectures/999"),
        client.get("/api/architectures/999/summary"),
    ):
        assert response.status_code == 404
        assert "999" in response.json()["detail"]


def test_empty_name_is_422(client):
    response = client.post("/api/architectures", json={**mlp(), "name": ""})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


def test_architectures_survive_a_restart(settings):
    with TestClient(create_app(settings)) as first:
        arch = first.post("/api/architectures", json=SEED_CNN).json()
    with TestClient(create_app(settings)) as second:
        assert second.get(f"/api/architectures/{arch['id']}").json() == arch
        summary = second.get(f"/api/architectures/{arch['id']}/summary").json()
        assert summary["total_params"] == 103562
