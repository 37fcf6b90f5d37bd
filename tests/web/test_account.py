"""The account pages (app/web/account.py, app/web/users.py): who the header shows; /account,
/tokens and /users for the right people; a token shown once and revoked from its row; users
made and changed by an admin, refusals in words; and what the pages say with AUTH=none."""

from __future__ import annotations

import re

from app.web.forms import GB
from tests.helpers.accounts import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PASSWORD,
    admin,
    member,
    person,
    sign_in,
    upload,
)
from tests.helpers.web import by_testid, fragment_headers

TOKEN = re.compile(r"lst_[A-Za-z0-9_-]{20,}")


def test_the_header_says_who_is_signed_in_and_only_admins_get_users(accounts):
    boss = admin(accounts)
    member(accounts, boss, "alice@example.com")
    sign_in(accounts, ADMIN_EMAIL, ADMIN_PASSWORD)
    page = accounts.get("/runs").text
    assert by_testid(page, "user") == ["user-menu", "users-link", "user-name"]
    assert re.search(r'data-testid="user-name"[^>]*>Admin</a>', page)
    assert "data-sign-out" in page

    accounts.cookies.clear()
    sign_in(accounts, "alice@example.com", PASSWORD)
    page = accounts.get("/builder").text
    assert by_testid(page, "user") == ["user-menu", "user-name"]  # no Users link
    assert re.search(r'data-testid="user-name"[^>]*>alice</a>', page)
    # Nobody is shown on the sign-in page, and its main menu would only lead back to it.
    sign_in_page = accounts.get("/sign-in").text
    assert "user-menu" not in sign_in_page and 'aria-label="Main"' not in sign_in_page


def test_a_page_without_its_own_script_still_signs_out(accounts):
    sign_in(accounts, ADMIN_EMAIL, ADMIN_PASSWORD)
    missing = accounts.get("/runs/999")
    assert missing.status_code == 404 and "data-sign-out" in missing.text
    assert "js/common.js" in missing.text  # which wires the button (static/js/lib/sign-out.js)


def test_account_shows_the_profile_the_password_form_and_usage_against_quotas(accounts):
    alice = member(accounts, admin(accounts), "alice@example.com", quota_datasets=3)
    upload(accounts, alice)
    sign_in(accounts, alice.email, PASSWORD)
    page = accounts.get("/account")
    assert page.status_code == 200
    assert "alice@example.com" in page.text and 'value="alice"' in page.text
    assert 'id="password-form"' in page.text and "accounts-off" not in page.text
    usage = page.text[page.text.index('data-testid="usage"') :]
    assert re.search(r"Active runs.*?0 of 5<", usage, re.S)
    assert re.search(r"Datasets.*?1 of 3<", usage, re.S)  # her own quota, not the default 50
    assert re.search(r"Storage.*?[\d.]+ (B|KB) of 5.00 GB<", usage, re.S)


def test_without_accounts_the_account_page_says_they_are_off_and_how_to_turn_them_on(client):
    assert "user-menu" not in client.get("/runs").text  # the local user is nobody to show
    page = client.get("/account")
    assert page.status_code == 200
    assert "Accounts are off" in page.text and "Local user" in page.text
    for setting in ("AUTH=accounts", "ADMIN_EMAIL", "ADMIN_PASSWORD"):
        assert setting in page.text
    assert 'id="password-form"' not in page.text  # nobody signs in, so no password to change
    assert " of " not in page.text[page.text.index('data-testid="usage"') :].split("</table>")[0]


def test_a_token_is_shown_once_works_and_is_revoked_from_its_row(accounts):
    sign_in(accounts, ADMIN_EMAIL, ADMIN_PASSWORD)
    made = accounts.post("/tokens", data={"name": "nightly", "expires_in_days": "30"})
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    assert "Store it now; it is not shown again." in made.text
    token = TOKEN.search(made.text).group()
    row = by_testid(made.text, "token-row-")  # the list comes along, out of band
    assert len(row) == 1 and 'id="tokens-list" aria-live="polite" hx-swap-oob="true"' in made.text
    assert accounts.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    page = accounts.get("/tokens").text
    assert "nightly" in page and token[:12] in page and token not in page  # a prefix only
    assert "Authorization: Bearer" in page  # the curl example
    never = accounts.post("/tokens", data={"name": "forever", "expires_in_days": ""})
    forever = re.search(r'<tr id="token-row-\d+".*?forever.*?</tr>', never.text, re.S)
    assert forever and '<td class="small">never</td>' in forever.group()

    token_id = int(row[0].rsplit("-", 1)[1])
    revoked = accounts.delete(f"/tokens/{token_id}")
    assert revoked.status_code == 200
    assert 'hx-swap-oob="true"' in revoked.text and "Revoked “nightly”" in revoked.text
    assert accounts.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_another_users_token_cannot_be_revoked_and_a_bad_form_is_refused_in_words(accounts):
    alice = member(accounts, admin(accounts), "alice@example.com")
    hers = accounts.get("/api/tokens", headers=alice.headers).json()["data"][0]["id"]
    sign_in(accounts, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert accounts.delete(f"/tokens/{hers}").status_code == 404
    assert accounts.get("/api/me", headers=alice.headers).status_code == 200  # still works

    nameless = accounts.post("/tokens", data={"name": "  ", "expires_in_days": "30"})
    assert nameless.status_code == 422
    assert nameless.json()["detail"][0]["msg"].startswith("Token name: ")


def test_users_is_a_403_page_for_a_member_and_the_list_for_an_admin(accounts):
    alice = member(accounts, admin(accounts), "alice@example.com")
    sign_in(accounts, alice.email, PASSWORD)
    page = accounts.get("/users")
    assert page.status_code == 403 and "<html" in page.text
    assert "Only an admin manages users" in page.text
    made = accounts.post("/users", data={"email": "x@example.com", "password": PASSWORD})
    assert made.status_code == 403 and "Only an admin" in made.json()["detail"]
    assert accounts.patch(f"/users/{alice.id}", data={"role": "admin"}).status_code == 403

    accounts.cookies.clear()
    sign_in(accounts, ADMIN_EMAIL, ADMIN_PASSWORD)
    page = accounts.get("/users")
    assert page.status_code == 200
    assert re.findall(r'data-email="([^"]+)"', page.text) == [ADMIN_EMAIL, alice.email]
    assert 'data-testid="user-create"' in page.text
    assert '<option value="member" selected>' in page.text  # a new user is a member unless chosen


def test_an_admin_makes_a_user_and_refusals_are_in_words(accounts):
    sign_in(accounts, ADMIN_EMAIL, ADMIN_PASSWORD)
    form = {"email": "bob@example.com", "display_name": "Bob", "role": "member",
            "password": PASSWORD}  # fmt: skip
    made = accounts.post("/users", data=form)
    assert made.status_code == 200
    assert 'data-testid="user-create"' in made.text  # a fresh form in the panel
    new_row = r'<tr id="user-row-\d+"[^>]*data-email="bob@example.com"\s+class="new"'
    assert re.search(new_row, made.text)
    assert "Made bob@example.com (member)" in made.text  # the flash, out of band
    person(accounts, "bob@example.com", PASSWORD)  # who can sign in with that password

    sign_in(accounts, ADMIN_EMAIL, ADMIN_PASSWORD)
    taken = accounts.post("/users", data=form)
    assert taken.status_code == 409 and "already exists" in taken.json()["detail"]
    short = accounts.post("/users", data={**form, "email": "c@example.com", "password": "short"})
    assert short.status_code == 422
    assert short.json()["detail"][0]["msg"].startswith("Password: ")
    assert "short" not in short.json()["detail"][0]["msg"]  # a password is never echoed
    bad = accounts.post("/users", data={**form, "email": "not an email"})
    assert "Email: expected an address like name@example.com" in bad.json()["detail"][0]["msg"]


def test_an_admin_changes_role_quotas_password_and_disabled(accounts):
    boss = admin(accounts)
    bob = member(accounts, boss, "bob@example.com")
    sign_in(accounts, ADMIN_EMAIL, ADMIN_PASSWORD)
    panel = accounts.get(f"/users?edit={bob.id}", headers=fragment_headers("user-panel"))
    assert "<html" not in panel.text and "Change bob@example.com" in panel.text

    form = {"display_name": "Robert", "role": "member", "quota_active_runs": "2",
            "quota_storage_gb": "0.5", "quota_datasets": "", "password": "new-password-9",
            "disabled": "true"}  # fmt: skip
    saved = accounts.patch(f"/users/{bob.id}", data=form)
    assert saved.status_code == 200
    assert "Saved bob@example.com and signed out everywhere" in saved.text
    assert f'data-testid="disabled-{bob.id}"' in saved.text
    row = accounts.get("/api/users", headers=boss.headers).json()["data"][1]
    assert (row["display_name"], row["disabled"]) == ("Robert", True)
    assert (row["quota_active_runs"], row["quota_storage_bytes"], row["quota_datasets"]) == (
        2, GB // 2, None)  # fmt: skip
    assert accounts.get("/api/me", headers=bob.headers).status_code == 401  # tokens stop too

    unticked = {key: value for key, value in form.items() if key != "disabled"}  # not sent
    enabled = accounts.patch(f"/users/{bob.id}", data={**unticked, "password": ""})
    assert enabled.status_code == 200 and f'data-testid="disabled-{bob.id}"' not in enabled.text
    person(accounts, "bob@example.com", "new-password-9")  # the new password signs in

    sign_in(accounts, ADMIN_EMAIL, ADMIN_PASSWORD)
    myself = accounts.patch(f"/users/{boss.id}", data={"role": "admin", "disabled": "true"})
    assert myself.status_code == 409 and "cannot disable yourself" in myself.json()["detail"]
    missing = accounts.get("/users?edit=999")
    assert missing.status_code == 404 and "No user with id 999" in missing.text


def test_without_accounts_users_shows_the_local_user_and_makes_nobody(client):
    page = client.get("/users")
    assert page.status_code == 200 and "Accounts are off" in page.text
    assert "local@localhost" in page.text and 'data-testid="user-create"' not in page.text
