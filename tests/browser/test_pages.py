"""Every page loads, shows no error, and has its screenshot taken."""

import pytest

pytestmark = pytest.mark.browser
PAGES = ["/builder", "/datasets", "/datasets/1", "/train", "/runs", "/predict"]


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_errors(page, path, shot):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert page.title().endswith("Layerstack")
    assert errors == []
    shot(f"page{path.replace('/', '-')}")
