"""Accounts-mode apps and users for tests: an admin from ADMIN_EMAIL/ADMIN_PASSWORD, members
made by the admin over the API, each acting through a personal API token (or a cookie)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from app.config import Settings
from tests.helpers.db import current_backend, database_url_for
from tests.helpers.stacks import mlp
from tests.helpers.uploads import npz_bytes

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "admin-password-1"
# Argon2id's least cost, for apps in the test process (tests/conftest.py): production's
# ~150 ms a hash made each accounts test seconds slower. tests/accounts/test_passwords.py
# pins the production cost.
TEST_HASH_COST = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
PASSWORD = "member-password-1"


def accounts_settings(data_dir: Path, **overrides: object) -> Settings:
    """On the running test's database (its `backend`; SQLite in a test without one)."""
    database_url = database_url_for(data_dir, current_backend())
    return Settings(
        data_dir=data_dir, database_url=database_url, workers=0, predictors=0, auth="accounts",
        admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD, **overrides,  # type: ignore[arg-type]
    )  # fmt: skip


@dataclass
class Person:
    email: str
    password: str
    token: str
    id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def sign_in(client: TestClient, email: str, password: str) -> None:
    """The session cookie lands in the client's cookie jar."""
    answer = client.post("/api/session", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text


def person(client: TestClient, email: str, password: str) -> Person:
    """Sign in once to make an API token, then act through the token only (no cookie)."""
    sign_in(client, email, password)
    me = client.get("/api/me").json()
    token = client.post("/api/tokens", json={"name": "tests"}).json()["token"]
    client.cookies.clear()
    return Person(email, password, token, me["id"])


def admin(client: TestClient) -> Person:
    return person(client, ADMIN_EMAIL, ADMIN_PASSWORD)


def member(client: TestClient, boss: Person, email: str, **quotas: int) -> Person:
    body = {"email": email, "password": PASSWORD, "display_name": email.split("@")[0]}
    made = client.post("/api/users", json=body, headers=boss.headers)
    assert made.status_code == 201, made.text
    if quotas:
        client.patch(f"/api/users/{made.json()['id']}", json=quotas, headers=boss.headers)
    return person(client, email, PASSWORD)


def small_npz() -> bytes:
    """Twenty 4x4 samples of two classes: a dataset upload in a few milliseconds."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (20, 4, 4)).astype(np.uint8)
    return npz_bytes(x=x, y=np.arange(20) % 2)


def upload(client: TestClient, who: Person, name: str = "mine") -> dict:
    files = [("files", ("data.npz", small_npz()))]
    answer = client.post("/api/datasets", data={"name": name}, files=files, headers=who.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def objects(client: TestClient, who: Person) -> dict[str, int]:
    """One of everything a user owns, by the path parameter that names it."""
    architecture = client.post("/api/architectures", json=mlp([4, 4]), headers=who.headers)
    assert architecture.status_code == 201, architecture.text
    dataset = upload(client, who)
    stack = {**mlp([4, 4]), "layers": [*mlp([4, 4])["layers"][:2],
                                       {"type": "Dense", "args": {"units": 2}}]}  # fmt: skip
    body = {"architecture": stack, "dataset_id": dataset["id"], "fit": {"epochs": 1}}
    run = client.post("/api/runs", json=body, headers=who.headers)
    assert run.status_code == 202, run.text
    token = client.post("/api/tokens", json={"name": "spare"}, headers=who.headers)
    grid = {"fit.batch_size": [8, 16]}
    sweep = client.post("/api/sweeps", json={"base": body, "grid": grid}, headers=who.headers)
    assert sweep.status_code == 202, sweep.text
    return {
        "architecture_id": architecture.json()["id"],
        "dataset_id": dataset["id"],
        "run_id": run.json()["id"],
        "sweep_id": sweep.json()["id"],
        "token_id": token.json()["id"],
        "user_id": who.id,
    }
