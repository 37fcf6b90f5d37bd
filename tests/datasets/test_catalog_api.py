"""POST/GET /api/datasets/catalog (issue 16) against a local HTTP server (never the internet):
the real MNIST t10k files under their real SHA-256, tiny NPZ and CIFAR-style archives under a
test-only checksum table (tests/helpers/catalog_files.py); idempotence, truncated and altered
files, no network, a mirror folder, budgets, and who owns what."""

from __future__ import annotations

import json
import pickle
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.datasets import catalog_download
from app.main import create_app
from tests.helpers.catalog_files import (
    Mirror,
    cifar_batch,
    closed_port_url,
    make_mirror,
    serving,
    silent_server,
    tiny_cifar,
)

BUILTIN_ONLY = 1  # the built-in digits


@pytest.fixture
def mirror(tmp_path: Path) -> Mirror:
    return make_mirror(tmp_path / "files")


def app_for(settings: Settings, mirror: Mirror, source: str, **more: object) -> TestClient:
    changed = {"datasets_mirror": source, "datasets_extra_catalog": mirror.catalog, **more}
    return TestClient(create_app(settings.model_copy(update=changed)))


@pytest.fixture
def hits() -> dict[str, int]:
    return {}


@pytest.fixture
def client(settings: Settings, mirror: Mirror, hits: dict[str, int]) -> Iterator[TestClient]:
    with serving(mirror.folder, hits) as url, app_for(settings, mirror, url) as test_client:
        yield test_client


def item(client: TestClient, name: str) -> dict:
    answer = client.get("/api/datasets/catalog")
    assert answer.status_code == 200, answer.text
    return next(i for i in answer.json()["data"] if i["name"] == name)


def added(client: TestClient, name: str, timeout: float = 30.0) -> dict:
    """Poll the catalog as the page does until the addition ends."""
    deadline = time.monotonic() + timeout
    while (found := item(client, name))["state"] == "adding":
        assert time.monotonic() < deadline, found
        time.sleep(0.05)
    return found


def nothing_kept(client: TestClient, settings: Settings) -> None:
    assert client.get("/api/datasets").json()["count"] == BUILTIN_ONLY
    tmp = settings.paths.tmp
    assert not tmp.exists() or not any(tmp.iterdir()), list(tmp.iterdir())
    assert len(list(settings.paths.datasets.iterdir())) == BUILTIN_ONLY


def test_the_catalog_lists_the_tutorial_datasets(client: TestClient) -> None:
    names = [i["name"] for i in client.get("/api/datasets/catalog").json()["data"]]
    assert names[:3] == ["mnist", "fashion_mnist", "cifar10"]
    assert item(client, "fashion_mnist")["state"] == "absent"


def test_adds_the_real_t10k_files_with_their_split_and_progress(
    client: TestClient, settings: Settings, mirror: Mirror
) -> None:
    started = time.monotonic()
    answer = client.post("/api/datasets/catalog", json={"name": "digits_t10k"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["state"] == "adding"
    done = added(client, "digits_t10k")
    print(f"t10k entry added in {time.monotonic() - started:.2f} s")
    assert done["state"] == "present", done
    sizes = sum(p.stat().st_size for p in mirror.folder.glob("*idx*"))
    assert done["dataset_id"] and item(client, "digits_t10k")["bytes_total"] in (None, sizes)
    dataset = client.get(f"/api/datasets/{done['dataset_id']}").json()
    assert dataset["catalog_name"] == "digits_t10k" and dataset["class_names"] == list("0123456789")
    assert (dataset["num_train"], dataset["num_test"], dataset["input_shape"]) == (
        10000,
        10000,
        [28, 28],
    )
    y_test = np.load(settings.paths.dataset(done["dataset_id"]) / "y_test.npy")
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the data README's labels


def test_progress_counts_the_bytes_of_every_file(client: TestClient, mirror: Mirror) -> None:
    answer = client.post("/api/datasets/catalog", json={"name": "tiny_cifar", "wait": True})
    assert answer.status_code == 200, answer.text
    job = client.app.state.catalog_jobs.get(1, "tiny_cifar")  # type: ignore[attr-defined]
    size = (mirror.folder / "tiny-cifar.tar.gz").stat().st_size
    assert (job.stage, job.bytes_done, job.bytes_total) == ("done", size, size)


@pytest.mark.both_databases
def test_a_second_post_joins_the_first_and_downloads_nothing_again(
    client: TestClient, hits: dict[str, int]
) -> None:
    first = client.post("/api/datasets/catalog", json={"name": "tiny_npz"})
    again = client.post("/api/datasets/catalog", json={"name": "tiny_npz", "wait": True})
    assert first.status_code == 202 and again.status_code == 200, again.text
    dataset_id = again.json()["dataset_id"]
    third = client.post("/api/datasets/catalog", json={"name": "tiny_npz"})
    assert third.status_code == 200 and third.json()["dataset_id"] == dataset_id
    assert hits == {"/tiny.npz": 1}
    assert client.get("/api/datasets").json()["count"] == BUILTIN_ONLY + 1


def test_tiny_cifar_is_channels_last_with_its_class_names(
    client: TestClient, settings: Settings, mirror: Mirror
) -> None:
    answer = client.post("/api/datasets/catalog", json={"name": "tiny_cifar", "wait": True})
    dataset = client.get(f"/api/datasets/{answer.json()['dataset_id']}").json()
    assert dataset["input_shape"] == [32, 32, 3] and dataset["format"] == "cifar"
    assert (dataset["num_train"], dataset["num_test"]) == (20, 4)
    x = np.load(settings.paths.dataset(dataset["id"]) / "x_train.npy")
    first = pickle.loads(cifar_batch(4, 1))[b"data"]
    assert np.array_equal(x[:4], first.reshape(4, 3, 32, 32).transpose(0, 2, 3, 1))


@pytest.mark.parametrize("damage", ["truncated", "altered"])
def test_a_damaged_file_is_502_and_nothing_is_kept(
    client: TestClient, settings: Settings, mirror: Mirror, damage: str
) -> None:
    path = mirror.folder / "t10k-images-idx3-ubyte.gz"
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data[1000] ^= 0xFF
    path.write_bytes(bytes(data))
    answer = client.post("/api/datasets/catalog", json={"name": "digits_t10k", "wait": True})
    assert answer.status_code == 502, answer.text
    assert (
        "SHA-256" in answer.json()["detail"] and "truncated or altered" in answer.json()["detail"]
    )
    failed = item(client, "digits_t10k")
    assert failed["state"] == "failed" and failed["error_status"] == 502
    nothing_kept(client, settings)


def test_no_network_is_a_quick_503_naming_the_mirror_setting(
    settings: Settings, mirror: Mirror
) -> None:
    with app_for(settings, mirror, closed_port_url()) as client:
        started = time.monotonic()
        answer = client.post("/api/datasets/catalog", json={"name": "tiny_npz"})
        assert time.monotonic() - started < 2
        assert answer.status_code == 503, answer.text
        assert "DATASETS_MIRROR" in answer.json()["detail"]
        assert item(client, "tiny_npz")["state"] == "absent"
        nothing_kept(client, settings)


def test_a_stalled_server_is_a_503_after_the_read_timeout(
    settings: Settings, mirror: Mirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog_download, "READ_TIMEOUT_S", 0.3)
    with silent_server() as url, app_for(settings, mirror, url) as client:
        started = time.monotonic()
        answer = client.post("/api/datasets/catalog", json={"name": "tiny_npz"})
        assert answer.status_code == 503 and "DATASETS_MIRROR" in answer.json()["detail"]
        assert time.monotonic() - started < 2


def test_a_mirror_folder_serves_the_same_file_names(settings: Settings, mirror: Mirror) -> None:
    with app_for(settings, mirror, str(mirror.folder)) as client:
        answer = client.post("/api/datasets/catalog", json={"name": "tiny_npz", "wait": True})
        assert answer.status_code == 200, answer.text
        dataset = client.get(f"/api/datasets/{answer.json()['dataset_id']}").json()
        assert (dataset["num_train"], dataset["num_test"], dataset["input_shape"]) == (
            20,
            20,
            [8, 8],
        )
        (mirror.folder / "tiny-cifar.tar.gz").unlink()
        missing = client.post("/api/datasets/catalog", json={"name": "tiny_cifar"})
        assert missing.status_code == 503 and "DATASETS_MIRROR=" in missing.json()["detail"]


def test_a_pickle_that_calls_code_is_refused_even_with_a_matching_checksum(
    settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self) -> tuple:
            return (Path.touch, (marker,))

    root = tmp_path / "evil"
    made = make_mirror(root, with_t10k=False)
    sha = tiny_cifar(made.folder, test_member=pickle.dumps({b"data": Evil()}, protocol=3))
    entries = json.loads(made.catalog.read_text())
    entries[1]["files"][0]["sha256"] = sha["tiny-cifar.tar.gz"]  # the test table trusts it
    made.catalog.write_text(json.dumps(entries))
    with app_for(settings, made, str(made.folder)) as client:
        answer = client.post("/api/datasets/catalog", json={"name": "tiny_cifar", "wait": True})
        assert answer.status_code == 502, answer.text
        assert "refused to load" in answer.json()["detail"]
        assert not marker.exists()
        nothing_kept(client, settings)


def test_over_the_dataset_budget_is_413_and_nothing_is_kept(
    settings: Settings, mirror: Mirror
) -> None:
    with app_for(settings, mirror, str(mirror.folder), max_dataset_images=10) as client:
        answer = client.post("/api/datasets/catalog", json={"name": "tiny_npz", "wait": True})
        assert answer.status_code == 413 and "MAX_DATASET_IMAGES" in answer.json()["detail"]
        nothing_kept(client, settings)


def test_an_unknown_name_is_422_listing_the_catalog(client: TestClient) -> None:
    answer = client.post("/api/datasets/catalog", json={"name": "imagenet"})
    assert answer.status_code == 422
    assert "mnist, fashion_mnist, cifar10" in answer.json()["detail"][0]["msg"]


def test_deleted_then_added_again(client: TestClient, hits: dict[str, int]) -> None:
    first = client.post("/api/datasets/catalog", json={"name": "tiny_npz", "wait": True})
    assert client.delete(f"/api/datasets/{first.json()['dataset_id']}").status_code == 204
    assert item(client, "tiny_npz")["state"] == "absent"
    again = client.post("/api/datasets/catalog", json={"name": "tiny_npz", "wait": True})
    assert again.status_code == 200 and again.json()["state"] == "present"
    assert hits == {"/tiny.npz": 2}


def test_a_server_stopping_mid_download_keeps_nothing(settings: Settings, mirror: Mirror) -> None:
    with serving(mirror.folder, pause_s=0.05) as url:
        with app_for(settings, mirror, url) as client:
            jobs = client.app.state.catalog_jobs  # type: ignore[attr-defined]
            answer = client.post("/api/datasets/catalog", json={"name": "digits_t10k"})
            assert answer.status_code == 202
            while item(client, "digits_t10k")["bytes_done"] == 0:
                time.sleep(0.02)
            started = time.monotonic()
        assert time.monotonic() - started < 5  # the lifespan's end stopped the download
    job = jobs.get(1, "digits_t10k")
    assert job.stage == "failed" and job.status == 503 and "stopped" in job.error
    assert not any(settings.paths.tmp.iterdir())
    assert len(list(settings.paths.datasets.iterdir())) == BUILTIN_ONLY


def test_the_page_card_adds_and_polls(client: TestClient) -> None:
    page = client.get("/datasets").text
    for name in ("mnist", "fashion_mnist", "cifar10"):
        assert f'data-testid="catalog-add-{name}"' in page
    card = client.post("/datasets/catalog/tiny_cifar", headers={"HX-Request": "true"}).text
    assert 'data-state="adding"' in card and 'hx-trigger="every 1s"' in card
    added(client, "tiny_cifar")
    card = client.get("/datasets/catalog").text
    assert 'data-testid="catalog-open-tiny_cifar"' in card and "every 1s" not in card


def test_the_page_card_says_why_it_could_not_start(settings: Settings, mirror: Mirror) -> None:
    with app_for(settings, mirror, closed_port_url()) as client:
        card = client.post("/datasets/catalog/tiny_npz").text
        assert 'data-testid="catalog-error-tiny_npz"' in card and "DATASETS_MIRROR" in card
