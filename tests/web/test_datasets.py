"""The datasets pages (app/web/datasets.py): the list as page or fragment, one dataset's
facts and class bars rendered on the server, its sample grid as a fragment, a 404 page, and
delete from a row or from the dataset's own page."""

from __future__ import annotations

import io
import re
import zipfile

from tests.helpers.uploads import class_zip, csv_bytes, post
from tests.helpers.web import HTMX, by_testid, fragment_headers, queue_run

DIGITS = "Digits (8x8, scikit-learn)"


def upload_zip(client, name: str = "shapes", classes: int = 3) -> dict:
    answer = post(client, [("shapes.zip", class_zip(classes, per_class=4))], name=name)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_the_page_lists_datasets_and_htmx_gets_only_the_list(client):
    uploaded = upload_zip(client)
    page = client.get("/datasets")
    assert page.status_code == 200
    assert "<html" in page.text and 'id="upload-form"' in page.text
    assert by_testid(page.text, "dataset-row-") == [
        "dataset-row-1",
        f"dataset-row-{uploaded['id']}",
    ]
    assert DIGITS in page.text and "(6, 6, 1)" in page.text and "3: c0, c1, c2" in page.text

    fragment = client.get(
        f"/datasets?highlight={uploaded['id']}", headers=fragment_headers("dataset-list")
    )
    assert "<html" not in fragment.text and 'id="upload-form"' not in fragment.text
    assert f'<tr data-testid="dataset-row-{uploaded["id"]}" class="new">' in fragment.text
    assert "HX-Target" in fragment.headers["Vary"]


def test_only_uploads_have_a_delete_button(client):
    uploaded = upload_zip(client)
    html = client.get("/datasets").text
    assert by_testid(html, "delete-dataset-") == [f"delete-dataset-{uploaded['id']}"]
    assert f'hx-delete="/datasets/{uploaded["id"]}"' in html and "hx-confirm=" in html


def test_a_dataset_page_is_rendered_on_the_server(client):
    page = client.get("/datasets/1")
    assert page.status_code == 200
    facts = re.search(r'data-testid="dataset-facts">(.*?)</dl>', page.text, re.S)
    assert facts and "(8, 8)" in facts.group(1) and "1,438 train, 359 test" in facts.group(1)
    assert "built in" in facts.group(1) and "10: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9" in facts.group(1)
    assert page.text.count('data-testid="class-bar"') == 10
    assert 'hx-get="/datasets/1/samples?split=train" hx-trigger="load"' in page.text
    # Built in: nothing to press, and the page says why.
    assert 'data-testid="delete-dataset"' not in page.text
    assert "cannot be deleted" in page.text


def test_an_upload_page_shows_notes_and_skipped_files(client):
    buffer = io.BytesIO(class_zip(classes=2, per_class=3))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("c0/readme.txt", "not an image")
    uploaded = post(client, [("shapes.zip", buffer.getvalue())], name="with junk").json()
    html = client.get(f"/datasets/{uploaded['id']}").text
    skipped = re.search(r'data-testid="dataset-skipped">(.*?)</dd>', html, re.S)
    assert skipped and "c0/readme.txt (not an image" in skipped.group(1)
    assert "color mode: grayscale" in html
    assert 'data-testid="delete-dataset"' in html and 'hx-delete="/datasets/' in html


def test_the_sample_grid_is_a_fragment_per_split(client):
    train = client.get("/datasets/1/samples", headers=HTMX)
    assert train.status_code == 200 and "<html" not in train.text
    images = re.findall(r'<img src="(data:image/png;base64,[^"]+)"', train.text)
    assert len(images) == 24
    test = client.get("/datasets/1/samples?split=test").text
    assert 'data-testid="samples-test"' in test
    assert client.get("/datasets/1/samples?split=valid").status_code == 422
    assert client.get("/datasets/99/samples").status_code == 404


def test_samples_that_are_not_images_say_so(client):
    rows = ["a,b,c,label", *(f"{i},{i + 1},{i + 2},{i % 2}" for i in range(20))]
    uploaded = post(client, [("rows.csv", csv_bytes(rows))], name="table").json()
    html = client.get(f"/datasets/{uploaded['id']}/samples").text
    assert "not images" in html and "<img" not in html


def test_an_unknown_dataset_is_a_404_page(client):
    page = client.get("/datasets/99")
    assert page.status_code == 404
    assert "<html" in page.text and "No dataset with id 99." in page.text
    assert 'href="/datasets"' in page.text


def test_delete_from_a_row_removes_it_and_says_so(client):
    uploaded = upload_zip(client, name="doomed")
    answer = client.delete(f"/datasets/{uploaded['id']}", headers=HTMX)
    assert answer.status_code == 200
    assert "Deleted “doomed”." in answer.text and 'hx-swap-oob="true"' in answer.text
    assert client.get(f"/api/datasets/{uploaded['id']}").status_code == 404


def test_delete_from_its_own_page_goes_to_the_list(client):
    uploaded = upload_zip(client)
    headers = {**HTMX, "HX-Trigger": "delete-dataset"}
    answer = client.delete(f"/datasets/{uploaded['id']}", headers=headers)
    assert answer.status_code == 200 and answer.headers["HX-Redirect"] == "/datasets"
    assert client.get(f"/datasets/{uploaded['id']}").status_code == 404


def test_refused_deletes_are_409s_in_words(client):
    built_in = client.delete("/datasets/1", headers=HTMX)
    assert built_in.status_code == 409 and "built in" in built_in.json()["detail"]

    uploaded = upload_zip(client, classes=10)  # as many as the MLP has outputs
    run = queue_run(client, dataset_id=uploaded["id"], shape=[6, 6, 1])  # queued: in use
    in_use = client.delete(f"/datasets/{uploaded['id']}", headers=HTMX)
    assert in_use.status_code == 409
    assert f"in use by run(s) {run['id']}" in in_use.json()["detail"]
