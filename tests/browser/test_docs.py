"""/docs works offline: Swagger UI from the vendored files, on the server's own schema, with no
request leaving the test server and no console error (a CSP breach is one)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Route, expect

pytestmark = pytest.mark.browser


def test_docs_lists_the_operations_with_the_network_cut_off(page: Page, base_url: str) -> None:
    server = urlsplit(base_url).netloc
    outside: list[str] = []
    errors: list[str] = []

    def only_the_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:  # what a machine without internet would do
            outside.append(route.request.url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.route("**/*", only_the_server)
    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.goto("/docs")
    expect(page.locator("#operations-tag-runs")).to_be_visible()  # the "runs" tag
    post_runs = page.locator(".opblock-post .opblock-summary-path[data-path='/api/runs']")
    expect(post_runs).to_be_visible()  # POST /api/runs
    page.wait_for_load_state("networkidle")
    assert outside == [], "/docs tried to load files from outside the server"
    assert errors == []


def test_try_it_out_sends_a_same_origin_request_that_passes(page: Page) -> None:
    """The docs page calls the API from this origin: the same-origin check lets it through."""
    page.goto("/docs#/catalog")
    page.wait_for_load_state("networkidle")
    page.locator("#operations-catalog-read_layers_api_layers_get").click()
    page.get_by_role("button", name="Try it out").click()
    with page.expect_response("**/api/layers") as answer:
        page.get_by_role("button", name="Execute").click()
    assert answer.value.status == 200
