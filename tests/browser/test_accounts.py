"""Accounts in the browser: a real server with AUTH=accounts and its first admin from
ADMIN_EMAIL/ADMIN_PASSWORD, on its own port and data dir. A visitor is sent to the sign-in
page and back; the admin makes an API token (shown once, and it works) and a member; signing
out closes the studio again; the member sees none of the admin's runs. Screenshots of the
sign-in, account, tokens and users pages go to test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.helpers.accounts import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.helpers.live_server import LiveServer
from tests.helpers.stacks import mlp

pytestmark = pytest.mark.browser
MEMBER_EMAIL, MEMBER_PASSWORD = "mia@example.com", "mia-password-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("accounts-browser") / "data"
    live = LiveServer(data, AUTH="accounts", ADMIN_EMAIL=ADMIN_EMAIL, ADMIN_PASSWORD=ADMIN_PASSWORD)
    yield live.start()
    live.stop()


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    """A page on this module's own server (the shared one runs with AUTH=none); `shot` and the
    CSP check in conftest.py use it."""
    context = browser.new_context(
        base_url=server.url, permissions=["clipboard-read", "clipboard-write"]
    )
    yield context.new_page()
    context.close()


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_test_id("sign-in-email").fill(email)
    page.get_by_test_id("sign-in-password").fill(password)
    page.get_by_test_id("sign-in-submit").click()


def test_sign_in_make_a_token_and_a_member_sign_out(page: Page, server: LiveServer, shot) -> None:
    page.goto("/runs")
    expect(page).to_have_url(f"{server.url}/sign-in?next={quote('/runs', safe='')}")
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    sign_in(page, ADMIN_EMAIL, "not-the-password")
    expect(page.locator("#flash")).to_have_text("Wrong email or password.")
    shot("accounts-sign-in")
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page).to_have_url(f"{server.url}/runs")
    expect(page.get_by_test_id("user-name")).to_have_text("Admin")

    # The account page: a new display name shows in the header at once.
    page.get_by_test_id("user-name").click()
    expect(page).to_have_url(f"{server.url}/account")
    page.get_by_test_id("display-name").fill("Ada Admin")
    page.get_by_test_id("save-name").click()
    expect(page.get_by_test_id("user-name")).to_have_text("Ada Admin")
    # Two tabs: the older one's save is not silently lost; it says so, and a second press wins.
    other = page.context.new_page()
    other.goto("/account")
    other.get_by_test_id("display-name").fill("Ada from tab 2")
    other.get_by_test_id("save-name").click()
    expect(other.get_by_test_id("user-name")).to_have_text("Ada from tab 2")
    other.close()
    page.get_by_test_id("display-name").fill("Ada Admin")
    page.get_by_test_id("save-name").click()
    expect(page.locator("#flash")).to_contain_text("changed elsewhere")
    assert page.request.get("/api/me").json()["display_name"] == "Ada from tab 2"  # kept
    page.get_by_test_id("save-name").click()
    expect(page.locator("#flash")).to_contain_text("Saved: your name is “Ada Admin”")
    assert page.request.get("/api/me").json()["display_name"] == "Ada Admin"
    page.get_by_test_id("new-password").fill("short")
    page.get_by_test_id("change-password").click()
    expect(page.locator('[data-problem-for="new_password"]')).to_contain_text("At least 8")
    expect(page.locator('[data-problem-for="current_password"]')).to_contain_text("current")
    shot("accounts-account")
    page.get_by_test_id("current-password").fill("not-the-password")
    page.get_by_test_id("new-password").fill("a-new-password-2")
    page.get_by_test_id("repeat-password").fill("a-new-password-2")
    page.get_by_test_id("change-password").click()  # the server's refusal, by its field
    expect(page.locator('[data-problem-for="current_password"]')).to_have_text(
        "The current password is wrong, so the password was not changed."
    )
    expect(page.locator('[data-problem-for="new_password"]')).to_be_hidden()
    page.get_by_test_id("current-password").fill(ADMIN_PASSWORD)
    page.get_by_test_id("change-password").click()
    expect(page.locator("#flash")).to_contain_text("Password changed.")

    # A token, shown once; a script can use it.
    page.goto("/tokens")
    page.get_by_test_id("token-name").fill("nightly training")
    page.get_by_test_id("make-token").click()
    box = page.get_by_test_id("new-token")
    expect(box).to_contain_text("Store it now; it is not shown again.")
    token = page.get_by_test_id("new-token-value").inner_text()
    assert re.fullmatch(r"lst_[\w-]{20,}", token)
    expect(page.get_by_test_id("token-name")).to_have_value("")  # the form is ready again
    page.get_by_test_id("copy-token").click()
    expect(page.get_by_test_id("copy-token")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == token
    shot("accounts-tokens")
    body = {"architecture": mlp([8, 8]), "dataset_id": 1, "fit": {"epochs": 1}}
    headers = {"Authorization": f"Bearer {token}"}
    queued = httpx.post(f"{server.url}/api/runs", json=body, headers=headers)
    assert queued.status_code == 202, queued.text  # WORKERS=0: it stays queued
    page.reload()
    expect(page.get_by_test_id("tokens-table")).to_contain_text("nightly training")
    assert token not in page.content()  # shown once: a prefix from now on
    page.once("dialog", lambda dialog: dialog.accept())  # hx-confirm asks first
    page.get_by_role("row", name=re.compile("nightly training")).get_by_role("button").click()
    expect(page.locator("#flash")).to_contain_text("Revoked “nightly training”")
    expect(page.get_by_test_id("tokens-table").locator("tbody tr")).to_have_count(0)
    assert httpx.get(f"{server.url}/api/me", headers=headers).status_code == 401

    # A member, made on the users page.
    page.get_by_test_id("users-link").click()
    page.get_by_test_id("new-email").fill(MEMBER_EMAIL)
    page.get_by_test_id("new-name").fill("Mia")
    page.get_by_test_id("new-password").fill(MEMBER_PASSWORD)
    page.get_by_test_id("create-user").click()
    expect(page.locator("#flash")).to_contain_text(f"Made {MEMBER_EMAIL} (member)")
    row = page.locator(f'tr[data-email="{MEMBER_EMAIL}"]')
    expect(row).to_contain_text("Mia")
    expect(page.get_by_test_id("new-email")).to_have_value("")
    page.get_by_test_id("new-email").fill(MEMBER_EMAIL)
    page.get_by_test_id("new-password").fill(MEMBER_PASSWORD)
    page.get_by_test_id("create-user").click()
    expect(page.locator("#flash")).to_contain_text("already exists")
    row.get_by_role("button", name="Change").click()
    page.get_by_test_id("edit-runs").fill("2")
    page.get_by_test_id("save-user").click()
    expect(page.locator("#flash")).to_contain_text(f"Saved {MEMBER_EMAIL}.")
    expect(row.locator(".quota").first).to_have_text("2")
    shot("accounts-users")

    # Signed out, the studio is closed again.
    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.goto("/builder")
    expect(page).to_have_url(f"{server.url}/sign-in?next={quote('/builder', safe='')}")

    # The member sees none of the admin's runs, and no Users link.
    sign_in(page, MEMBER_EMAIL, MEMBER_PASSWORD)
    expect(page).to_have_url(f"{server.url}/builder")
    expect(page.get_by_test_id("user-name")).to_have_text("Mia")
    expect(page.get_by_test_id("users-link")).to_have_count(0)
    page.goto("/runs")
    expect(page.get_by_test_id("runs-empty")).to_contain_text("No runs yet")
    expect(page.locator("tr[data-run-id]")).to_have_count(0)
