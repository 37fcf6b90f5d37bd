"""Personal API tokens: shown once, stored hashed, revoked or expired at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from app.accounts.tokens import digest
from app.models import ApiToken, utcnow
from tests.helpers.accounts import ADMIN_EMAIL, ADMIN_PASSWORD, admin, sign_in


def test_a_token_is_shown_once_and_kept_only_as_a_hash(accounts):
    sign_in(accounts, ADMIN_EMAIL, ADMIN_PASSWORD)
    made = accounts.post("/api/tokens", json={"name": "laptop", "expires_in_days": 30})
    assert made.status_code == 201
    token = made.json()
    assert token["token"].startswith("lst_") and token["prefix"] == token["token"][:12]
    listed = accounts.get("/api/tokens").json()["data"]
    assert [t["name"] for t in listed] == ["laptop"] and "token" not in listed[0]
    with Session(accounts.app.state.engine) as session:
        row = session.get(ApiToken, token["id"])
        assert row is not None and row.token_hash == digest(token["token"])
        assert token["token"] not in row.model_dump_json()


@pytest.mark.both_databases
def test_a_bearer_token_works_without_a_cookie_until_it_is_revoked(accounts):
    boss = admin(accounts)
    assert accounts.get("/api/me", headers=boss.headers).json()["email"] == ADMIN_EMAIL
    mine = accounts.get("/api/tokens", headers=boss.headers).json()["data"][0]
    assert accounts.delete(f"/api/tokens/{mine['id']}", headers=boss.headers).status_code == 204
    revoked = accounts.get("/api/me", headers=boss.headers)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


@pytest.mark.both_databases
def test_an_expired_token_answers_401(accounts):
    boss = admin(accounts)
    with Session(accounts.app.state.engine) as session:
        row = session.get(ApiToken, 1)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
    assert accounts.get("/api/layers", headers=boss.headers).status_code == 401


def test_a_made_up_token_answers_401(accounts):
    answer = accounts.get("/api/layers", headers={"Authorization": "Bearer lst_madeup"})
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"


def test_bad_token_requests_say_what_is_wrong(accounts):
    boss = admin(accounts)
    for body in ({}, {"name": ""}, {"name": "x", "expires_in_days": 0}, {"name": "x", "y": 1}):
        answer = accounts.post("/api/tokens", json=body, headers=boss.headers)
        assert answer.status_code == 422, body
