"""Page addresses with a value their route cannot take (a non-integer id in the path or the
query) are, for a browser, the studio's 404 page naming the value, not FastAPI's 422 JSON; the
API, htmx's requests for part of a page and scripts keep their 422."""

from __future__ import annotations

import pytest

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # what Chromium sends


@pytest.mark.parametrize(
    ("path", "name", "received"),
    [
        ("/runs/abc", "run_id", "'abc'"),
        ("/runs/0", "run_id", "'0'"),
        ("/datasets/abc", "dataset_id", "'abc'"),
        ("/datasets/1.5", "dataset_id", "'1.5'"),
        ("/builder?architecture=abc", "architecture", "'abc'"),
        ("/train?architecture=x1", "architecture", "'x1'"),
        ("/predict?run=abc", "run", "'abc'"),
    ],
)
def test_a_page_with_a_bad_id_is_the_not_found_page(client, path, name, received):
    answer = client.get(path, headers=BROWSER)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert 'data-testid="not-found"' in answer.text
    assert f"{name} must be a whole number from 1, not {received}" in answer.text.replace(
        "&#39;", "'"
    )


def test_the_api_and_htmx_keep_their_422(client):
    api = client.get("/api/runs/abc", headers=BROWSER)
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["path", "run_id"]
    fragment = client.get("/datasets/abc/samples", headers={**BROWSER, "HX-Request": "true"})
    assert fragment.status_code == 422
    assert fragment.headers["content-type"] == "application/json"
    script = client.get("/runs/abc")  # no text/html in Accept: not a person's browser
    assert script.status_code == 422 and script.json()["detail"][0]["loc"] == ["path", "run_id"]
