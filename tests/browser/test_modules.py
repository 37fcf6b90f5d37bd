"""Every page loads its script as one ES module (helpers imported from static/js/common.js,
nothing global), and loads with no console error, no uncaught exception and no breach of its
Content-Security-Policy (inline scripts and style="" attributes are refused)."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.helpers.stacks import mlp

pytestmark = pytest.mark.browser

EARLY = "/static/js/theme-early.js"
PAGES = ["/builder", "/train", "/runs", "/datasets", "/datasets/1", "/predict", "/sweeps", "run"]
# What static/app.js used to define on every page; a module page must not have any of them.
OLD_GLOBALS = ["api", "ApiError", "flash", "el", "fmtInt", "fmtShape", "fmtBytes", "fillSelect"]
# Each violation, as the page's own securitypolicyviolation events report it.
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.effectiveDirective} refused ${event.blockedURI}`);
});
"""


@pytest.fixture(scope="module")
def run_page(trainer) -> str:
    """A finished run's page: its event stream replays the run and ends, so the page settles."""
    api = f"{trainer.url}/api"
    body = {"architecture": {**mlp([8, 8]), "name": "modules test"}, "dataset_id": 1,
            "fit": {"epochs": 2, "seed": 1}}  # fmt: skip
    run = httpx.post(f"{api}/runs", json=body).raise_for_status().json()
    deadline = time.monotonic() + 120
    while run["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.3)
        run = httpx.get(f"{api}/runs/{run['id']}").json()
    assert run["status"] == "completed", run["error"]
    return f"/runs/{run['id']}"


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_its_module_without_errors(page: Page, path: str, run_page: str) -> None:
    path = run_page if path == "run" else path
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} at {message.location}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    response = page.goto(path)
    assert response is not None
    # Without the header there would be no violation to see: the check below would be empty.
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert errors == []
    assert page.evaluate("window.cspViolations") == []
    if path == run_page:  # the module ran: the replayed stream filled the page
        expect(page.get_by_test_id("run-status")).to_have_text("completed")
        expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-points", "2")
        assert errors == []
        assert page.evaluate("window.cspViolations") == []

    scripts = page.eval_on_selector_all(
        "script[src]", "nodes => nodes.map((s) => [new URL(s.src).pathname, s.type])"
    )
    # Besides the entry module, only the classic theme-early.js in <head> (a remembered
    # theme before the first paint; it declares no global).
    assert [EARLY, ""] in scripts, f"{EARLY} is not on the page as a classic script"
    ours = [(src, kind) for src, kind in scripts if src.startswith("/static/js/") and src != EARLY]
    assert len(ours) == 1, f"one entry script per page, found {ours}"
    assert ours[0][1] == "module", f"{ours[0][0]} is not loaded as a module"
    assert all(src != "/static/app.js" for src, _ in scripts), "app.js is gone: use common.js"
    # (An element's id is a window property too: <div id="flash"> is window.flash.)
    own = "(names) => names.filter((n) => n in window && !(window[n] instanceof Element))"
    leaked = page.evaluate(own, OLD_GLOBALS)
    assert leaked == [], f"globals on a module page: {leaked}"
