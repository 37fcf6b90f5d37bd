"""The API's contract holds at its edges: ids and paging within 64 bits (422, never a 500 from
SQLite), every status a route can send declared with the body it really sends, 405 with
`Allow`, and a body nested too deeply refused with 422."""

from __future__ import annotations

import pytest

from app.api.params import MAX_ID

# Every route with an id in its path, API and pages: {id} is replaced.
ID_ROUTES = [
    ("GET", "/api/runs/{id}"),
    ("DELETE", "/api/runs/{id}"),
    ("GET", "/api/runs/{id}/history.csv"),
    ("GET", "/api/runs/{id}/model.keras"),
    ("GET", "/api/runs/{id}/export.py"),
    ("GET", "/api/runs/{id}/exports"),
    ("GET", "/api/runs/{id}/export"),
    ("GET", "/api/runs/{id}/bundle.zip"),
    ("POST", "/api/runs/{id}/cancel"),
    ("POST", "/api/runs/{id}/resume"),
    ("GET", "/api/runs/{id}/events"),
    ("POST", "/api/runs/{id}/predict"),
    ("GET", "/api/datasets/{id}"),
    ("DELETE", "/api/datasets/{id}"),
    ("GET", "/api/datasets/{id}/samples"),
    ("GET", "/api/datasets/{id}/export.npz"),
    ("GET", "/api/architectures/{id}"),
    ("DELETE", "/api/architectures/{id}"),
    ("GET", "/api/architectures/{id}/summary"),
    ("GET", "/api/architectures/{id}/export"),
    ("DELETE", "/api/tokens/{id}"),
    ("GET", "/runs/{id}"),
    ("DELETE", "/runs/{id}"),
    ("GET", "/datasets/{id}"),
    ("GET", "/datasets/{id}/samples"),
    ("DELETE", "/datasets/{id}"),
    ("DELETE", "/tokens/{id}"),
]
LISTS = ["/api/runs", "/api/datasets", "/api/architectures", "/api/users", "/runs"]
DEEP = "[" * 10_000 + "]" * 10_000


@pytest.mark.parametrize(("method", "path"), ID_ROUTES)
def test_an_id_outside_1_to_2_63_is_422_and_the_largest_a_plain_404(client, method, path):
    for bad in (0, -1, 2**63, 2**64, 10**30):
        response = client.request(method, path.format(id=bad))
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["detail"][0]["loc"][0] == "path"
    response = client.request(method, path.format(id=MAX_ID))
    assert response.status_code == 404, response.text


def test_a_wild_id_in_a_users_path_is_422(client):
    assert client.patch(f"/api/users/{2**63}", json={}).status_code == 422
    assert client.patch(f"/users/{2**64}", data={}).status_code == 422


@pytest.mark.parametrize("path", LISTS)
def test_paging_outside_its_bounds_is_422(client, path):
    for query in ("limit=0", "limit=-1", "limit=501", "offset=-1", f"offset={2**63}"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 422, (query, response.text)


@pytest.mark.parametrize("path", ["/api/runs", "/api/datasets", "/api/architectures", "/api/users"])
def test_the_largest_offset_is_an_empty_page(client, path):
    response = client.get(f"{path}?offset={MAX_ID}&limit=500")
    assert response.status_code == 200, response.text
    assert response.json()["data"] == []


def test_a_wild_id_in_the_runs_filters_is_422(client):
    for name in ("architecture_id", "dataset_id"):
        for bad in (0, 2**63):
            assert client.get(f"/api/runs?{name}={bad}").status_code == 422
            assert client.get(f"/runs?{name}={bad}").status_code == 422
        assert client.get(f"/api/runs?{name}={MAX_ID}").json()["data"] == []


def test_the_live_rows_refuse_a_wild_run_id(client):
    assert client.get(f"/runs/live?run={2**63}").status_code == 422


def _operations(client) -> dict[tuple[str, str], dict]:
    paths = client.get("/openapi.json").json()["paths"]
    return {(m.upper(), p): op for p, ops in paths.items() for m, op in ops.items()}


def test_every_route_that_needs_a_user_declares_401(client):
    open_to_all = {("POST", "/api/session"), ("DELETE", "/api/session")}
    for key, operation in _operations(client).items():
        if key not in open_to_all:
            assert "401" in operation["responses"], key


def test_declared_errors_name_the_body_they_send(client):
    """{"detail": "..."} for every error but 422, FastAPI's list of problems for 422."""
    for key, operation in _operations(client).items():
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]["$ref"]
                # 422: ours, or FastAPI's own HTTPValidationError (the same list of problems)
                expected = ("ProblemsPublic", "HTTPValidationError")
                if status != "422":
                    expected = ("ErrorPublic",)
                assert schema.endswith(expected), (key, status, schema)


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("GET", "/api/users", {"403"}),
        ("POST", "/api/users", {"403", "409", "413", "422"}),
        ("PATCH", "/api/users/{user_id}", {"403", "404", "409", "413", "422"}),
        ("POST", "/api/session", {"401", "413", "422", "429"}),
        ("POST", "/api/runs", {"404", "409", "413", "422"}),
        ("POST", "/api/runs/{run_id}/predict", {"404", "409", "413", "415", "422", "503"}),
        ("GET", "/api/architectures/{architecture_id}/export", {"404", "422", "503"}),
        ("POST", "/api/datasets", {"409", "413", "415", "422"}),
        ("POST", "/api/summary", {"413", "422"}),
        ("POST", "/api/architectures/import", {"413", "422"}),
        ("POST", "/api/tokens", {"413", "422"}),
        ("PATCH", "/api/me", {"413", "422"}),
    ],
)
def test_each_route_declares_what_it_can_answer(client, method, path, statuses):
    declared = set(_operations(client)[(method, path)]["responses"])
    assert statuses <= declared, statuses - declared


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/api/datasets/{dataset_id}/export.npz", "application/octet-stream"),
        ("/api/runs/{run_id}/model.keras", "application/octet-stream"),
        ("/api/runs/{run_id}/history.csv", "text/csv"),
        ("/api/runs/{run_id}/export.py", "text/x-python"),
    ],
)
def test_files_are_declared_as_what_they_are(client, path, media_type):
    content = _operations(client)[("GET", path)]["responses"]["200"]["content"]
    assert list(content) == [media_type]


def test_the_npz_export_is_sent_as_declared(client):
    response = client.get("/api/datasets/1/export.npz")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/health", {"GET"}),
        ("PATCH", "/api/runs", {"GET", "POST"}),
        ("POST", "/api/runs/1", {"GET", "DELETE"}),
        ("DELETE", "/api/layers", {"GET"}),
    ],
)
def test_405_says_which_methods_are_allowed(client, method, path, allowed):
    response = client.request(method, path)
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == allowed


@pytest.mark.parametrize("path", ["/api/summary", "/api/architectures", "/api/runs"])
def test_a_body_nested_10_000_deep_is_422(client, path):
    response = client.post(path, content=DEEP, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert "nests too deeply" in response.json()["detail"][0]["msg"]


def test_a_body_that_is_not_utf8_is_422(client):
    body = b'{"name": "\xff"}'
    response = client.post(
        "/api/summary", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert "UTF-8" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    "source",
    [
        DEEP,
        '{"class_name": "Sequential", "config": {"layers": ' + DEEP + "}}",
        '{"class_name": "Sequential", "config": {"layers": ' + "[" * 500 + "]" * 500 + "}}",
    ],
)
def test_an_imported_keras_json_nested_too_deeply_is_422(client, source):
    body = {"format": "keras-json", "source": source}
    response = client.post("/api/architectures/import", json=body)
    assert response.status_code == 422, response.text
    assert "nests deeper than" in response.json()["detail"][0]["msg"]


def test_a_malformed_multipart_form_is_422(client):
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    response = client.post("/api/runs/1/predict", content=b"--b\r\n[]--b--\r\n", headers=headers)
    assert response.status_code == 422, response.text
    assert "multipart form" in response.json()["detail"][0]["msg"]


def test_null_for_a_users_role_name_or_disabled_flag_leaves_it_as_is(client):
    body = {"display_name": None, "role": None, "disabled": None, "quota_datasets": 3}
    response = client.patch("/api/users/1", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "admin"
    assert response.json()["disabled"] is False


@pytest.mark.both_databases
def test_ids_and_quotas_in_a_body_stay_within_64_bits(client):
    run = {"dataset_id": 2**63, "architecture_id": 1}
    assert client.post("/api/runs", json=run).status_code == 422
    assert (
        client.post(
            "/api/runs", json={**run, "dataset_id": 1, "architecture_id": 2**64}
        ).status_code
        == 422
    )
    assert client.patch("/api/users/1", json={"quota_storage_bytes": 2**63}).status_code == 422
    maximum = client.patch("/api/users/1", json={"quota_storage_bytes": MAX_ID})
    assert maximum.json()["quota_storage_bytes"] == MAX_ID
