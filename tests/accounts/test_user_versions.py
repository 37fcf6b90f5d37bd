"""No lost updates for users: a user carries a version (the ETag of GET /api/users/{id} and
GET /api/me), every change bumps it, and a PATCH with a stale If-Match is a 412 naming the
current version, with nothing saved. Without If-Match the last write wins, as before. The
users page sends the version its form was opened at and says in words when it is stale."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from app.accounts import service
from tests.helpers.accounts import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, admin, member, sign_in
from tests.helpers.web import fragment_headers

pytestmark = pytest.mark.both_databases


def test_get_sends_the_version_as_etag_and_each_patch_bumps_it(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com")
    url = f"/api/users/{alice.id}"
    read = accounts.get(url, headers=boss.headers)
    assert read.status_code == 200
    assert read.headers["ETag"] == f'"{read.json()["version"]}"'
    before = read.json()["version"]
    saved = accounts.patch(
        url, json={"display_name": "Al"}, headers={**boss.headers, "If-Match": f'"{before}"'}
    )
    assert saved.status_code == 200
    assert saved.json()["version"] == before + 1
    assert saved.headers["ETag"] == f'"{before + 1}"'
    assert accounts.get(url, headers=boss.headers).headers["ETag"] == f'"{before + 1}"'
    # Signing in and using the API touch last_seen_at, which is not a change to the user.
    sign_in(accounts, alice.email, PASSWORD)
    accounts.cookies.clear()
    assert accounts.get(url, headers=boss.headers).json()["version"] == before + 1


def test_a_stale_if_match_is_412_with_the_current_version_and_nothing_saved(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com")
    url = f"/api/users/{alice.id}"
    loaded = accounts.get(url, headers=boss.headers).json()["version"]
    theirs = {**boss.headers, "If-Match": f'"{loaded}"'}
    assert accounts.patch(url, json={"quota_datasets": 3}, headers=theirs).status_code == 200
    now = loaded + 1

    for stale in (f'"{loaded}"', f'W/"{now}"', '"nonsense"', f'"{loaded}", "99"'):
        mine = accounts.patch(
            url,
            json={"quota_datasets": 7, "password": "never-saved-1", "disabled": True},
            headers={**boss.headers, "If-Match": stale},
        )
        assert mine.status_code == 412, stale
        assert mine.headers["ETag"] == f'"{now}"'
        detail = mine.json()["detail"]
        assert f"User {alice.id} (alice@example.com) changed since it was loaded" in detail
        assert f"now at version {now}" in detail and "Nothing was saved" in detail
        assert f'If-Match: "{now}"' in detail and f"GET {url}" in detail
    current = accounts.get(url, headers=boss.headers).json()
    assert (current["quota_datasets"], current["disabled"], current["version"]) == (3, False, now)
    assert accounts.get("/api/me", headers=alice.headers).status_code == 200  # not disabled
    sign_in(accounts, alice.email, PASSWORD)  # the password was not changed either

    ok = accounts.patch(
        url, json={"quota_datasets": 7}, headers={**boss.headers, "If-Match": f'"1", "{now}"'}
    )
    assert ok.status_code == 200 and ok.json()["version"] == now + 1


def test_no_if_match_or_a_star_changes_the_user_as_before(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com")
    url = f"/api/users/{alice.id}"
    version = accounts.get(url, headers=boss.headers).json()["version"]
    plain = accounts.patch(url, json={"display_name": "a"}, headers=boss.headers)
    assert plain.status_code == 200 and plain.json()["version"] == version + 1
    star = accounts.patch(
        url, json={"display_name": "b"}, headers={**boss.headers, "If-Match": "*"}
    )
    assert star.status_code == 200 and star.json()["version"] == version + 2
    assert accounts.get(url, headers=boss.headers).json()["display_name"] == "b"


def test_a_refused_patch_keeps_the_version(accounts):
    boss = admin(accounts)
    url = f"/api/users/{boss.id}"
    version = accounts.get(url, headers=boss.headers).json()["version"]
    myself = accounts.patch(url, json={"disabled": True}, headers=boss.headers)
    assert myself.status_code == 409
    short = accounts.patch(url, json={"password": "short"}, headers=boss.headers)
    assert short.status_code == 422
    assert accounts.get(url, headers=boss.headers).json()["version"] == version
    missing = accounts.patch("/api/users/999", json={}, headers={**boss.headers, "If-Match": '"1"'})
    assert missing.status_code == 404


def test_two_patches_that_loaded_the_same_version_cannot_both_win(accounts, monkeypatch):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com")
    url = f"/api/users/{alice.id}"
    loaded = accounts.get(url, headers=boss.headers).json()["version"]
    # Both requests read the user and pass the checks before either writes: only the
    # conditional UPDATE can tell them apart.
    both_checked = threading.Barrier(2)
    get_user = service.get_user

    def get_user_together(session, user_id):
        user = get_user(session, user_id)
        if threading.current_thread() is not threading.main_thread():
            both_checked.wait(timeout=10)
        return user

    monkeypatch.setattr(service, "get_user", get_user_together)

    def patch(name: str):
        headers = {**boss.headers, "If-Match": f'"{loaded}"'}
        return accounts.patch(url, json={"display_name": name}, headers=headers)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(patch, ["first", "second"]))
    monkeypatch.undo()
    assert sorted(a.status_code for a in answers) == [200, 412]
    winner = next(a for a in answers if a.status_code == 200).json()
    current = accounts.get(url, headers=boss.headers).json()
    assert current["version"] == loaded + 1 and current["display_name"] == winner["display_name"]


def test_your_own_account_has_a_version_too(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com")
    me = accounts.get("/api/me", headers=alice.headers)
    loaded = me.json()["version"]
    assert me.headers["ETag"] == f'"{loaded}"'
    # An admin changes her quotas meanwhile: her older view of her account is stale.
    accounts.patch(f"/api/users/{alice.id}", json={"quota_datasets": 2}, headers=boss.headers)
    stale = {**alice.headers, "If-Match": f'"{loaded}"'}
    refused = accounts.patch("/api/me", json={"display_name": "Mine"}, headers=stale)
    assert refused.status_code == 412 and refused.headers["ETag"] == f'"{loaded + 1}"'
    detail = refused.json()["detail"]
    assert "Your account changed since it was loaded" in detail and "GET /api/me" in detail
    assert accounts.get("/api/me", headers=alice.headers).json()["display_name"] == "alice"

    fresh = {**alice.headers, "If-Match": f'"{loaded + 1}"'}
    saved = accounts.patch("/api/me", json={"display_name": "Mine"}, headers=fresh)
    assert saved.status_code == 200 and saved.headers["ETag"] == f'"{loaded + 2}"'
    assert saved.json()["version"] == loaded + 2
    # A new password bumps it too, and a stale one changes no password.
    body = {"current_password": PASSWORD, "new_password": "another-password-2"}
    assert accounts.patch("/api/me", json=body, headers=fresh).status_code == 412
    sign_in(accounts, alice.email, PASSWORD)
    accounts.cookies.clear()
    changed = accounts.patch("/api/me", json=body, headers=alice.headers)
    assert changed.status_code == 200 and changed.json()["version"] == loaded + 3


def test_without_accounts_the_local_user_has_a_version(client):
    me = client.get("/api/me")
    assert me.headers["ETag"] == f'"{me.json()["version"]}"'
    saved = client.patch(
        "/api/me", json={"display_name": "Me"}, headers={"If-Match": me.headers["ETag"]}
    )
    assert saved.status_code == 200 and saved.json()["version"] == me.json()["version"] + 1
    again = client.patch(
        "/api/me", json={"display_name": "Old"}, headers={"If-Match": me.headers["ETag"]}
    )
    assert again.status_code == 412
    assert client.get("/api/me").json()["display_name"] == "Me"


def test_the_users_page_refuses_a_form_opened_before_another_change(accounts):
    boss = admin(accounts)
    bob = member(accounts, boss, "bob@example.com")
    sign_in(accounts, ADMIN_EMAIL, ADMIN_PASSWORD)
    panel = accounts.get(f"/users?edit={bob.id}", headers=fragment_headers("user-panel")).text
    version = accounts.get(f"/api/users/{bob.id}", headers=boss.headers).json()["version"]
    assert f'name="version" value="{version}"' in panel

    other_admin = TestClient(accounts.app)  # another tab: makes bob an admin meanwhile
    sign_in(other_admin, ADMIN_EMAIL, ADMIN_PASSWORD)
    form = {"display_name": "bob", "role": "member", "version": str(version)}
    assert other_admin.patch(f"/users/{bob.id}", data={**form, "role": "admin"}).status_code == 200

    stale = accounts.patch(f"/users/{bob.id}", data={**form, "display_name": "Robert"})
    assert stale.status_code == 412
    detail = stale.json()["detail"]
    assert detail.startswith("Not saved: bob@example.com was changed by someone else")
    assert f"now at version {version + 1}" in detail and "Press Change on their row" in detail
    row = accounts.get(f"/api/users/{bob.id}", headers=boss.headers).json()
    assert (row["role"], row["display_name"]) == ("admin", "bob")

    # The panel it answers with carries the new version, so the next save goes through.
    fresh = accounts.get(f"/users?edit={bob.id}", headers=fragment_headers("user-panel")).text
    assert f'name="version" value="{version + 1}"' in fresh
    saved = accounts.patch(f"/users/{bob.id}", data={**form, "version": str(version + 1)})
    assert saved.status_code == 200 and f'name="version" value="{version + 2}"' in saved.text


def test_412_and_if_match_are_in_the_openapi_document(accounts):
    paths = accounts.get("/openapi.json").json()["paths"]
    for path, method in (("/api/users/{user_id}", "patch"), ("/api/me", "patch")):
        operation = paths[path][method]
        assert "412" in operation["responses"], path
        assert any(p["name"] == "if-match" for p in operation["parameters"]), path
    assert "404" in paths["/api/users/{user_id}"]["get"]["responses"]
