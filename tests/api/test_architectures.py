"""Saved architectures: CRUD, normalized storage, summaries, survival across restarts."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from app.main import create_app
from app.models import Architecture
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


def test_get_sends_the_version_as_a_strong_etag_and_each_put_bumps_it(client):
    arch = client.post("/api/architectures", json=mlp()).json()
    assert arch["version"] == 1
    read = client.get(f"/api/architectures/{arch['id']}")
    assert read.headers["ETag"] == '"1"'
    saved = client.put(
        f"/api/architectures/{arch['id']}", json=SEED_CNN, headers={"If-Match": '"1"'}
    )
    assert saved.status_code == 200
    assert saved.json()["version"] == 2 and saved.headers["ETag"] == '"2"'
    assert client.get(f"/api/architectures/{arch['id']}").headers["ETag"] == '"2"'


def test_a_stale_if_match_is_412_with_the_current_version_and_nothing_saved(client):
    arch = client.post("/api/architectures", json=mlp()).json()
    url = f"/api/architectures/{arch['id']}"
    client.put(url, json={**mlp(), "name": "theirs"}, headers={"If-Match": '"1"'})

    for stale in ('"1"', 'W/"2"', '"nonsense"', '"1", "7"'):
        mine = client.put(url, json={**mlp(), "name": "mine"}, headers={"If-Match": stale})
        assert mine.status_code == 412, stale
        assert mine.headers["ETag"] == '"2"'
        detail = mine.json()["detail"]
        assert "changed since it was loaded" in detail and "now at version 2" in detail
        assert 'If-Match: "2"' in detail and "Reload" in detail
    current = client.get(url).json()
    assert current["name"] == "theirs" and current["version"] == 2

    # Naming the current version (among others) saves.
    ok = client.put(url, json={**mlp(), "name": "mine"}, headers={"If-Match": '"1", "2"'})
    assert ok.status_code == 200 and ok.json()["version"] == 3


def test_no_if_match_or_a_star_overwrites_as_scripts_expect(client):
    arch = client.post("/api/architectures", json=mlp()).json()
    url = f"/api/architectures/{arch['id']}"
    assert client.put(url, json={**mlp(), "name": "a"}).json()["version"] == 2
    star = client.put(url, json={**mlp(), "name": "b"}, headers={"If-Match": "*"})
    assert star.status_code == 200 and star.json()["version"] == 3
    assert client.get(url).json()["name"] == "b"


def test_an_invalid_stack_keeps_the_version(client):
    arch = client.post("/api/architectures", json=mlp()).json()
    url = f"/api/architectures/{arch['id']}"
    bad = client.put(url, json={**mlp(), "layers": [{"type": "Nope"}]}, headers={"If-Match": '"1"'})
    assert bad.status_code == 422
    assert client.get(url).json()["version"] == 1


@pytest.mark.both_databases  # the conditional UPDATE under two writers differs by database
def test_two_puts_that_loaded_the_same_version_cannot_both_win(client):
    arch = client.post("/api/architectures", json=mlp()).json()
    url = f"/api/architectures/{arch['id']}"
    # Both requests read the row and pass the checks before either writes: each waits, just
    # before its UPDATE reaches the database, for the other to get there too. Only the
    # conditional UPDATE can then tell them apart.
    both_read, writes = threading.Barrier(2), []
    update = f"UPDATE {Architecture.__tablename__} "

    def before_the_write(connection, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith(update.upper()):
            writes.append(both_read.wait(timeout=10))

    engine = client.app.state.engine
    event.listen(engine, "before_cursor_execute", before_the_write)

    def put(name: str):
        return client.put(url, json={**mlp(), "name": name}, headers={"If-Match": '"1"'})

    try:
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(put, ["first", "second"]))
    finally:
        event.remove(engine, "before_cursor_execute", before_the_write)
    assert sorted(writes) == [0, 1]  # both got to their UPDATE, together
    assert sorted(a.status_code for a in answers) == [200, 412], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 200).json()
    current = client.get(url).json()
    assert current["version"] == 2 and current["name"] == winner["name"]


def test_412_is_in_the_openapi_document_of_put(client):
    put = client.get("/openapi.json").json()["paths"]["/api/architectures/{architecture_id}"]["put"]
    assert "412" in put["responses"]
    assert any(p["name"] == "if-match" for p in put["parameters"])
