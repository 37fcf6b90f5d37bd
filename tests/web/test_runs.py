"""The runs list page (app/web/runs.py): the whole page or only the list for htmx, filters and
their canonical URL, pages of runs, names from the server, delete per row."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from app.models import Run
from app.runs import state
from tests.helpers.stacks import mlp
from tests.helpers.web import HTMX, by_testid, fragment_headers, queue_run


def rows(html: str) -> list[int]:
    return [int(t.rsplit("-", 1)[1]) for t in by_testid(html, "run-row-")]


@pytest.fixture
def engine(client):
    return client.app.state.engine


def test_the_page_has_the_table_and_htmx_gets_only_the_list(client):
    run = queue_run(client)
    page = client.get("/runs")
    assert page.status_code == 200
    assert "<html" in page.text and 'id="run-filters"' in page.text
    assert "htmx-2.0.11.min.js" in page.text and "htmx-ext-sse-2.2.4.min.js" in page.text
    assert rows(page.text) == [run["id"]]

    fragment = client.get("/runs?status=queued", headers=fragment_headers("runs-list"))
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="runs-list"' not in fragment.text
    assert rows(fragment.text) == [run["id"]]
    # The filters come along, chosen as asked: the back button restores them with the list.
    assert '<option value="queued" selected>' in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


def test_htmx_asking_for_something_else_or_restoring_history_gets_the_page(client):
    assert "<html" in client.get("/runs", headers=HTMX).text
    restore = {**fragment_headers("runs-list"), "HX-History-Restore-Request": "true"}
    assert "<html" in client.get("/runs", headers=restore).text


def test_rows_show_names_from_the_server(client):
    saved = client.post("/api/architectures", json={**mlp(), "name": "saved MLP"}).json()
    by_id = client.post("/api/runs", json={"architecture_id": saved["id"], "dataset_id": 1})
    inline = queue_run(client, name="inline")
    html = client.get("/runs").text
    row = re.search(rf'<tr id="run-row-{by_id.json()["id"]}".*?</tr>', html, re.S)
    assert row and "saved MLP" in row.group() and "Digits (8x8, scikit-learn)" in row.group()
    row = re.search(rf'<tr id="run-row-{inline["id"]}".*?</tr>', html, re.S)
    assert row and "inline stack" in row.group()


def test_filters_narrow_the_list_and_push_a_clean_url(client, engine):
    saved = client.post("/api/architectures", json={**mlp(), "name": "filtered"}).json()
    first = client.post("/api/runs", json={"architecture_id": saved["id"], "dataset_id": 1})
    second, third = queue_run(client), queue_run(client)
    state.finish(engine, second["id"], "completed")
    state.finish(engine, third["id"], "failed", error="boom")

    # What the filter form sends: every field, the unused ones empty.
    form = {"status": "completed", "architecture_id": "", "dataset_id": ""}
    answer = client.get("/runs", params=form, headers=fragment_headers("runs-list"))
    assert rows(answer.text) == [second["id"]]
    assert answer.headers["HX-Push-Url"] == "/runs?status=completed"

    by_architecture = {"status": "", "architecture_id": str(saved["id"]), "dataset_id": "1"}
    answer = client.get("/runs", params=by_architecture, headers=fragment_headers("runs-list"))
    assert rows(answer.text) == [first.json()["id"]]
    assert answer.headers["HX-Push-Url"] == f"/runs?architecture_id={saved['id']}&dataset_id=1"

    nothing = client.get("/runs", params={"status": "cancelled"}).text
    assert rows(nothing) == [] and "No runs match these filters." in nothing
    # The page opened at a filtered URL shows that filter chosen in the form.
    page = client.get("/runs", params={"status": "failed"}).text
    assert rows(page) == [third["id"]]
    assert '<option value="failed" selected>' in page
    assert f'<option value="{saved["id"]}" >filtered</option>' in page


def test_an_unknown_status_is_refused(client):
    answer = client.get("/runs", params={"status": "sleeping"})
    assert answer.status_code == 422 and "queued" in answer.text


def test_pages_of_runs_link_newer_and_older_keeping_the_filters(client):
    ids = [queue_run(client)["id"] for _ in range(25)]
    first = client.get("/runs").text
    assert rows(first) == ids[::-1][:20]
    assert 'href="/runs?offset=20"' in first and "runs-newer" not in first
    assert "Runs 1\N{EN DASH}20 of 25" in first

    older = client.get("/runs?offset=20", headers=fragment_headers("runs-list"))
    assert rows(older.text) == ids[::-1][20:]
    assert 'hx-get="/runs"' in older.text and "runs-older" not in older.text
    assert older.headers["HX-Push-Url"] == "/runs?offset=20"

    filtered = client.get("/runs?status=queued&limit=10&offset=10").text
    assert rows(filtered) == ids[::-1][10:20]
    assert 'href="/runs?status=queued&amp;limit=10"' in filtered  # newer: offset 0 left out
    assert 'href="/runs?status=queued&amp;offset=20&amp;limit=10"' in filtered


def test_runs_still_going_are_watched_by_one_stream(client, engine):
    done, queued, running = queue_run(client), queue_run(client), queue_run(client)
    state.finish(engine, done["id"], "completed")
    assert state.claim_next(engine, "test") == queued["id"]  # the oldest queued one: running
    html = client.get("/runs").text
    assert f'sse-connect="/runs/live?run={running["id"]}&amp;run={queued["id"]}"' in html
    assert 'sse-close="done"' in html and html.count("sse-connect=") == 1
    assert f'sse-swap="run-{queued["id"]}"' in html and f'sse-swap="run-{done["id"]}"' not in html

    for run in (queued, running):
        state.finish(engine, run["id"], "cancelled")
    assert "sse-connect" not in client.get("/runs").text


def test_delete_removes_the_row_and_says_so(client, engine):
    run = queue_run(client)
    answer = client.delete(f"/runs/{run['id']}", headers=HTMX)
    assert answer.status_code == 200
    assert 'id="flash"' in answer.text and 'hx-swap-oob="true"' in answer.text
    assert f"Deleted run #{run['id']}." in answer.text
    with Session(engine) as session:
        assert session.get(Run, run["id"]) is None
    assert rows(client.get("/runs").text) == []


def test_deleting_a_run_that_is_gone_is_a_404_in_words(client):
    answer = client.delete("/runs/999", headers=HTMX)
    assert answer.status_code == 404
    assert answer.json()["detail"] == "No run with id 999."


def test_the_train_form_caps_epochs_at_the_servers_max_epochs(client):
    page = client.get("/train").text
    limit = client.app.state.settings.max_epochs
    assert f'max="{limit}" value="10" data-testid="train-epochs"' in page
