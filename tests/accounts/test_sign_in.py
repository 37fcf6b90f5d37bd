"""Signing in and out, sessions, and what a visitor who is not signed in gets."""

from __future__ import annotations

import pytest

from app.accounts import throttle
from tests.helpers.accounts import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in


def test_sign_in_sets_a_private_session_cookie_and_me_says_who(accounts):
    answer = accounts.post("/api/session", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert answer.status_code == 200
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    me = accounts.get("/api/me").json()
    assert (me["email"], me["role"], me["auth"]) == (ADMIN_EMAIL, "admin", "accounts")
    assert me["usage"] == {"active_runs": 0, "storage_bytes": 0, "datasets": 0}
    assert me["quotas"]["active_runs"] == 5


def test_email_is_matched_without_case_or_spaces(accounts):
    sign_in(accounts, f"  {ADMIN_EMAIL.upper()} ", ADMIN_PASSWORD)
    assert accounts.get("/api/me").status_code == 200


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(accounts):
    wrong = accounts.post("/api/session", json={"email": ADMIN_EMAIL, "password": "nope-nope"})
    unknown = accounts.post("/api/session", json={"email": "who@x.org", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Wrong email or password."}
    assert "set-cookie" not in wrong.headers


def test_repeated_wrong_passwords_get_429_with_retry_after(accounts):
    for _ in range(throttle.MAX_PER_ACCOUNT):
        assert accounts.post("/api/session", json={"email": ADMIN_EMAIL, "password": "x" * 8})
    blocked = accounts.post("/api/session", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= throttle.WINDOW_S
    assert "Too many wrong passwords" in blocked.json()["detail"]


def test_too_many_tries_from_one_address_are_refused_whatever_the_email(accounts):
    for i in range(throttle.MAX_PER_ADDRESS):
        accounts.post("/api/session", json={"email": f"u{i}@x.org", "password": "x" * 8})
    assert (
        accounts.post("/api/session", json={"email": "new@x.org", "password": "y"}).status_code
        == 429
    )


@pytest.mark.both_databases
def test_sign_out_ends_the_session_at_once(accounts):
    sign_in(accounts, ADMIN_EMAIL, ADMIN_PASSWORD)
    secret = accounts.cookies["layerstack_session"]
    assert accounts.delete("/api/session").status_code == 204
    accounts.cookies.set("layerstack_session", secret)  # a copy kept elsewhere is dead too
    assert accounts.get("/api/me").status_code == 401


def test_without_a_session_the_api_answers_401_and_pages_go_to_sign_in(accounts):
    for path in ("/api/layers", "/api/runs", "/api/datasets", "/api/me", "/api/health"):
        answer = accounts.get(path)
        assert answer.status_code == 401, path
        assert "Sign in first" in answer.json()["detail"]
        assert answer.headers["www-authenticate"] == "Bearer"
    page = accounts.get("/runs?status=running", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?next=%2Fruns%3Fstatus%3Drunning"
    fragment = accounts.get("/runs", headers={"HX-Request": "true"}, follow_redirects=False)
    assert fragment.status_code == 401 and fragment.headers["hx-redirect"].startswith("/sign-in")
    form = accounts.get("/sign-in?next=/runs")
    assert form.status_code == 200 and 'data-next="/runs"' in form.text


def test_sign_in_never_sends_a_visitor_to_another_site(accounts):
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        page = accounts.get("/sign-in", params={"next": target})
        assert 'data-next="/"' in page.text, target


@pytest.mark.both_databases
def test_a_session_past_its_idle_lifetime_ends(tmp_path, backend):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.helpers.accounts import accounts_settings

    settings = accounts_settings(tmp_path / "data", session_idle_hours=1e-9)
    with TestClient(create_app(settings)) as client:
        sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert client.get("/api/me").status_code == 401


def test_without_accounts_the_sign_in_page_steps_aside(client):
    page = client.get("/sign-in?next=/runs", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/runs"
    assert client.get("/api/me").json()["auth"] == "none"
