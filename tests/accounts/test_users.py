"""Admins manage users; a user manages their own name and password. Disabling a user or
giving them a new password takes effect at once, on sessions and tokens alike."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.helpers.accounts import PASSWORD, accounts_settings, admin, member, sign_in


@pytest.mark.both_databases
def test_disabling_a_user_stops_their_session_and_tokens_at_once(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com")
    sign_in(accounts, alice.email, PASSWORD)
    assert accounts.get("/api/me").status_code == 200
    patched = accounts.patch(
        f"/api/users/{alice.id}", json={"disabled": True}, headers=boss.headers
    )
    assert patched.status_code == 200 and patched.json()["disabled"] is True
    assert accounts.get("/api/me").status_code == 401  # the cookie
    accounts.cookies.clear()
    assert accounts.get("/api/me", headers=alice.headers).status_code == 401  # the token
    again = accounts.post("/api/session", json={"email": alice.email, "password": PASSWORD})
    assert again.status_code == 401 and "disabled" in again.json()["detail"]


@pytest.mark.both_databases
def test_an_admin_sets_a_new_password_and_the_old_sessions_end(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com")
    sign_in(accounts, alice.email, PASSWORD)
    new = {"password": "brand-new-password"}
    assert (
        accounts.patch(f"/api/users/{alice.id}", json=new, headers=boss.headers).status_code == 200
    )
    assert accounts.get("/api/me").status_code == 401
    sign_in(accounts, alice.email, "brand-new-password")


def test_a_user_changes_their_own_password_with_the_current_one(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com")
    other = TestClient(accounts.app)
    sign_in(other, alice.email, PASSWORD)  # another browser
    sign_in(accounts, alice.email, PASSWORD)
    wrong = accounts.patch("/api/me", json={"current_password": "nope", "new_password": "x" * 10})
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["body", "current_password"]
    changed = accounts.patch(
        "/api/me", json={"current_password": PASSWORD, "new_password": "y" * 10,
                         "display_name": "Alice L."},
    )  # fmt: skip
    assert changed.status_code == 200 and changed.json()["display_name"] == "Alice L."
    assert accounts.get("/api/me").status_code == 200  # this session stays
    assert other.get("/api/me").status_code == 401  # the other one ended


def test_user_requests_are_checked(accounts):
    boss = admin(accounts)
    member(accounts, boss, "alice@example.com")
    taken = {"email": "Alice@example.com", "password": "long-enough-1"}
    assert accounts.post("/api/users", json=taken, headers=boss.headers).status_code == 409
    for bad in ({"email": "not-an-email", "password": "long-enough-1"},
                {"email": "c@x.org", "password": "short"},
                {"email": "c@x.org", "password": "long-enough-1", "role": "king"}):  # fmt: skip
        assert accounts.post("/api/users", json=bad, headers=boss.headers).status_code == 422
    assert accounts.patch("/api/users/999", json={}, headers=boss.headers).status_code == 404
    myself = accounts.patch(f"/api/users/{boss.id}", json={"disabled": True}, headers=boss.headers)
    assert myself.status_code == 409


def test_an_admin_can_list_users(accounts):
    boss = admin(accounts)
    member(accounts, boss, "alice@example.com")
    users = accounts.get("/api/users", headers=boss.headers).json()
    assert [u["email"] for u in users["data"]] == ["admin@example.com", "alice@example.com"]
    assert all("password_hash" not in u for u in users["data"])


@pytest.mark.both_databases
def test_switching_a_laptop_to_accounts_gives_its_work_to_the_first_admin(tmp_path, backend):
    data = tmp_path / "data"
    from app.config import Settings
    from tests.helpers.stacks import mlp

    with TestClient(create_app(Settings(data_dir=data, workers=0, predictors=0))) as laptop:
        saved = laptop.post("/api/architectures", json=mlp()).json()
        run = laptop.post("/api/runs", json={"architecture_id": saved["id"], "dataset_id": 1})
        assert run.status_code == 202
    with TestClient(create_app(accounts_settings(data))) as server:
        boss = admin(server)
        assert server.get(f"/api/architectures/{saved['id']}", headers=boss.headers).json()[
            "owner_id"] == boss.id  # fmt: skip
        assert server.get("/api/runs", headers=boss.headers).json()["count"] == 1
        alice = member(server, boss, "alice@example.com")
        assert server.get("/api/runs", headers=alice.headers).json()["count"] == 0
