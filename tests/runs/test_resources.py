"""fit.resources on the local executor: it trains on this machine's CPUs, so a run that asks
for a GPU or a custom resource is refused with a 422 naming the field, not silently trained
on a CPU; CPUs and memory only tell a cluster what to reserve, and are accepted. Bad values
are refused by the model (negative, unknown keys, bad resource names)."""

from __future__ import annotations

import pytest

from tests.helpers.stacks import mlp


def post(client, **resources):
    body = {"architecture": mlp([8, 8]), "dataset_id": 1, "fit": {"resources": resources}}
    return client.post("/api/runs", json=body)


@pytest.mark.parametrize(
    ("resources", "words"),
    [({"gpus": 1}, "1 GPU"), ({"custom": {"TPU": 2}}, "2 TPU"),
     ({"gpus": 0.5, "custom": {"A100": 1}}, "0.5 GPU, 1 A100")],
    ids=["gpu", "custom", "both"],
)  # fmt: skip
def test_a_gpu_or_custom_resource_on_the_local_executor_is_422(client, resources, words):
    answer = post(client, **resources)
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["body", "fit", "resources"]
    assert f"fit.resources asks for {words}" in problem["msg"]
    assert "EXECUTOR=local" in problem["msg"] and "EXECUTOR=ray" in problem["msg"]
    assert client.get("/api/runs").json()["count"] == 0


def test_cpus_and_memory_are_accepted_and_kept(client):
    answer = post(client, cpus=2, memory=10**9, gpus=0)
    assert answer.status_code == 202, answer.text
    assert answer.json()["fit"]["resources"] == {
        "cpus": 2.0, "gpus": 0.0, "memory": 10**9, "custom": {},
    }  # fmt: skip
    assert answer.json()["attempt"] == 0 and answer.json()["waiting_for"] is None


@pytest.mark.parametrize(
    "resources",
    [{"cpus": -1}, {"gpus": 100}, {"memory": -5}, {"custom": {"bad name": 1}},
     {"custom": {"TPU": -1}}, {"disk": 1}],
    ids=["negative-cpus", "too-many-gpus", "negative-memory", "bad-name", "negative-custom",
         "unknown-key"],
)  # fmt: skip
def test_bad_resources_are_422_naming_the_field(client, resources):
    answer = post(client, **resources)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][:3] == ["body", "fit", "resources"]
