"""In accounts mode a tutorial dataset belongs to the user who added it: another user sees
their own entry as absent and the dataset as a 404; the owner deletes it as any upload."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.main import create_app
from tests.helpers.accounts import accounts_settings, admin, member
from tests.helpers.catalog_files import make_mirror


def test_a_catalog_dataset_is_its_adders_own(tmp_path: Path, backend: str) -> None:
    mirror = make_mirror(tmp_path / "files", with_t10k=False)
    settings = accounts_settings(
        tmp_path / "data", datasets_mirror=str(mirror.folder), datasets_extra_catalog=mirror.catalog
    )
    with TestClient(create_app(settings)) as client:
        boss = admin(client)
        alice = member(client, boss, "alice@example.com")
        bob = member(client, boss, "bob@example.com")
        body = {"name": "tiny_npz", "wait": True}
        mine = client.post("/api/datasets/catalog", json=body, headers=alice.headers)
        assert mine.status_code == 200, mine.text
        dataset_id = mine.json()["dataset_id"]
        theirs = client.get("/api/datasets/catalog", headers=bob.headers).json()["data"]
        assert next(i for i in theirs if i["name"] == "tiny_npz")["state"] == "absent"
        assert client.get(f"/api/datasets/{dataset_id}", headers=bob.headers).status_code == 404
        assert client.delete(f"/api/datasets/{dataset_id}", headers=bob.headers).status_code == 404
        assert (
            client.get(f"/api/datasets/{dataset_id}", headers=alice.headers).json()["owner_id"]
            == alice.id
        )
        assert (
            client.delete(f"/api/datasets/{dataset_id}", headers=alice.headers).status_code == 204
        )
