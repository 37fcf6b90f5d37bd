"""Dark mode and pages that do not exist. The studio follows the system's colour scheme and
the header's toggle overrides it (remembered across pages); an unknown page or a missing
run is a page in the studio's style with a way on, while the API keeps its JSON 404."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.helpers.stacks import mlp

pytestmark = pytest.mark.browser

DARK_BG = "rgb(18, 21, 28)"  # app.css --bg, dark
LIGHT_BG = "rgb(246, 247, 249)"  # app.css --bg, light
DARK_MUTED, LIGHT_MUTED = "#a0a8b8", "#5b6475"  # app.css --muted: the charts' axes


def background(page: Page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(
    page: Page, base_url: str, shot
) -> None:
    body = {"architecture": mlp([8, 8]), "dataset_id": 1, "fit": {"epochs": 3, "seed": 1}}
    run = httpx.post(f"{base_url}/api/runs", json=body).json()
    page.emulate_media(color_scheme="dark")
    page.goto(f"/runs/{run['id']}")  # charts, tables and the heat map: the most to see
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=60_000)
    toggle = page.get_by_test_id("theme-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert background(page) == DARK_BG
    shot("dark-mode")

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(toggle).to_have_text("Dark mode")
    assert background(page) == LIGHT_BG
    page.goto("/datasets")  # another page, the system still dark: the choice holds
    expect(page.get_by_test_id("theme-toggle")).to_have_attribute("aria-pressed", "false")
    assert background(page) == LIGHT_BG

    page.get_by_test_id("theme-toggle").press("Enter")  # a keyboard works it too
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == DARK_BG


def test_a_light_system_gets_light_until_asked(page: Page) -> None:
    page.emulate_media(color_scheme="light")
    page.goto("/datasets")
    assert background(page) == LIGHT_BG
    page.get_by_test_id("theme-toggle").click()
    assert background(page) == DARK_BG


def test_charts_take_the_new_theme_without_a_reload(page: Page, base_url: str) -> None:
    body = {"architecture": mlp([8, 8]), "dataset_id": 1, "fit": {"epochs": 2, "seed": 1}}
    run = httpx.post(f"{base_url}/api/runs", json=body).json()
    page.emulate_media(color_scheme="light")
    page.goto(f"/runs/{run['id']}")
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=60_000)
    charts = [page.get_by_test_id("loss-chart"), page.get_by_test_id("metric-chart")]
    for chart in charts:
        expect(chart).to_have_attribute("data-axis-stroke", LIGHT_MUTED)
    page.get_by_test_id("theme-toggle").click()
    for chart in charts:
        expect(chart).to_have_attribute("data-axis-stroke", DARK_MUTED)
        expect(chart.locator("canvas")).to_have_count(1)  # made again, not a second chart
    expect(charts[0]).to_have_attribute("data-points", "2")

    page.goto("/runs")  # the comparison's chart too
    page.get_by_test_id(f"compare-{run['id']}").check()
    overlay = page.get_by_test_id("overlay-chart")
    expect(overlay).to_have_attribute("data-axis-stroke", DARK_MUTED)  # remembered: dark
    page.get_by_test_id("theme-toggle").click()
    expect(overlay).to_have_attribute("data-axis-stroke", LIGHT_MUTED)
    expect(overlay.locator("canvas")).to_have_count(1)

    # Without a choice, a change of the system's scheme redraws them as well.
    page.evaluate("localStorage.removeItem('layerstack-theme')")
    page.goto(f"/runs/{run['id']}")
    expect(charts[0]).to_have_attribute("data-axis-stroke", LIGHT_MUTED)
    page.emulate_media(color_scheme="dark")
    expect(charts[0]).to_have_attribute("data-axis-stroke", DARK_MUTED)


def test_a_remembered_dark_theme_is_set_before_the_first_paint(page: Page) -> None:
    """The header's module (lib/theme.js) is kept from running: the classic theme-early.js in
    <head> alone must have set the theme, as it does before the page is first painted."""
    page.emulate_media(color_scheme="light")
    page.goto("/datasets")
    page.evaluate("localStorage.setItem('layerstack-theme', 'dark')")
    page.route("**/static/js/lib/theme.js", lambda route: route.fulfill(
        body="", content_type="text/javascript"))  # fmt: skip
    page.goto("/datasets")
    # A classic script in <head> runs while the page is parsed, before <body> exists: what it
    # set is what the first paint uses.
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == DARK_BG
    expect(page.get_by_test_id("theme-toggle")).to_have_text("Dark mode")  # theme.js never ran
    # And a remembered light choice on a dark system.
    page.evaluate("localStorage.setItem('layerstack-theme', 'light')")
    page.emulate_media(color_scheme="dark")
    page.goto("/datasets")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert background(page) == LIGHT_BG


def test_unknown_pages_and_missing_runs_are_pages_and_the_api_stays_json(
    page: Page, base_url: str, shot
) -> None:
    answer = page.goto("/no-such-page")
    assert answer is not None and answer.status == 404
    box = page.get_by_test_id("not-found")
    expect(box).to_contain_text("There is no page at /no-such-page.")
    expect(box.get_by_role("link")).to_have_attribute("href", "/")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    shot("not-found")

    answer = page.goto("/runs/999999")
    assert answer is not None and answer.status == 404
    expect(page.get_by_test_id("not-found")).to_contain_text("No run with id 999999.")
    expect(page.get_by_test_id("not-found").get_by_role("link")).to_have_attribute("href", "/runs")

    for path in ("/api/no-such-thing", "/api/runs/999999"):
        api = httpx.get(f"{base_url}{path}")
        assert api.status_code == 404
        assert api.headers["content-type"] == "application/json"
        assert isinstance(api.json()["detail"], str)
